package dev.tcpdial.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Path traces in the path lab ({@code lab/chain.sh}: client, routers 1, 2 (2b beside it), 3,
 * target), IPv4 and IPv6, every probe sent by an unprivileged process (uid 65534) inside the
 * client namespace. All cases of a family run at once in one {@link TraceProbe} process; the
 * rate-limit case runs alone afterwards, with the limit on in router 2 only for it. Root only.
 */
class PathTraceLabTest {
  private static final int HOP_MS = 300;
  private static final int ECMP_TRACES = 12;

  private static ChainLab lab;
  private static ChainLab.Run run;
  private static ChainLab.Run limited;

  /** The addresses of one family: the routers as they answer the client, the target's, ... */
  private record Net(String tag, String r1, String r2, String r2b, String r3, String target,
      String ecmpTarget, String loop, String silentSource, String limitSource,
      String ecmpSource) {
    /** Router 1's address facing router 2. */
    String r1b() {
      return r1.contains(":") ? "fd00:21::1" : "198.18.21.1";
    }

    String t(int port) {
      return (target.contains(":") ? "[" + target + "]" : target) + ":" + port;
    }

    String at(String address, int port) {
      return (address.contains(":") ? "[" + address + "]" : address) + ":" + port;
    }
  }

  private static final Net V4 = new Net("4", "198.18.20.1", "198.18.21.2", "198.18.24.2",
      "198.18.22.3", "198.18.23.2", "198.18.26.2", "198.18.27.1", "198.18.20.3", "198.18.20.4",
      "198.18.20.5");
  private static final Net V6 = new Net("6", "fd00:20::1", "fd00:21::2", "fd00:24::2",
      "fd00:22::3", "fd00:23::2", "fd00:26::2", "fd00:27::1", "fd00:20::3", "fd00:20::4",
      "fd00:20::5");

  private static Net net(String tag) {
    return tag.equals("4") ? V4 : V6;
  }

  @BeforeAll
  static void up() {
    lab = ChainLab.up();
    List<String> jobs = new ArrayList<>();
    for (Net n : List.of(V4, V6)) {
      String opt = " --timeout-ms " + HOP_MS;
      jobs.add("connected" + n.tag + " trace " + n.t(80) + opt);
      jobs.add("refused" + n.tag + " trace " + n.t(81) + opt);
      jobs.add("dropped" + n.tag + " trace " + n.t(82) + opt);
      jobs.add("prohibited" + n.tag + " trace " + n.t(83) + opt);
      jobs.add("silent" + n.tag + " trace " + n.t(81) + " --source " + n.silentSource + opt);
      jobs.add("loop" + n.tag + " trace " + n.at(n.loop, 80) + opt);
      for (String engine : List.of("uring", "epoll", "jdk")) {
        jobs.add("loopprobe" + n.tag + engine + " probe " + n.at(n.loop, 80) + " " + engine);
      }
      for (int i = 0; i < ECMP_TRACES; i++) {
        jobs.add("ecmp" + n.tag + "_" + i + " trace " + n.at(n.ecmpTarget, 81) + " --source "
            + n.ecmpSource + opt);
      }
    }
    run = lab.run(jobs, Duration.ofSeconds(60));
    // ICMP rate limiting in router 2: one error per destination, then none for a while
    lab.sysctl("r2", "net.ipv4.icmp_ratelimit", "60000");
    lab.sysctl("r2", "net.ipv6.icmp.ratelimit", "60000");
    try {
      limited = lab.run(List.of(
          "limited4 trace " + V4.t(81) + " --source " + V4.limitSource + " --timeout-ms " + HOP_MS,
          "limited6 trace " + V6.t(81) + " --source " + V6.limitSource + " --timeout-ms " + HOP_MS),
          Duration.ofSeconds(60));
    } finally {
      lab.sysctl("r2", "net.ipv4.icmp_ratelimit", "0");
      lab.sysctl("r2", "net.ipv6.icmp.ratelimit", "0");
    }
  }

  @AfterAll
  static void down() {
    if (lab != null) {
      lab.close();
    }
  }

  private static String a(String literal) {
    try {
      return InetAddress.getByName(literal).getHostAddress();
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** The probes of hop {@code n}: answer@address each. */
  private static List<String> hop(Map<String, String> t, int n) {
    String h = t.get("h" + n);
    assertThat(h).as("hop %d in %s", n, t.get("raw")).isNotNull();
    return Arrays.asList(h.split(","));
  }

  private static void everyRouterInOrder(Net n, Map<String, String> t) {
    List<String> routers = List.of(a(n.r1), a(n.r2), a(n.r3));
    for (int h = 1; h <= 3; h++) {
      assertThat(hop(t, h)).as("hop %d: %s", h, t.get("raw")).hasSize(3)
          .containsOnly("time_exceeded@" + routers.get(h - 1));
    }
  }

  @Test
  void theProbesRanUnprivileged() {
    assertThat(run.uid()).isEqualTo("65534");
    assertThat(limited.uid()).isEqualTo("65534");
  }

  @ParameterizedTest(name = "IPv{0}")
  @ValueSource(strings = {"4", "6"})
  void listsEveryRouterInOrderAndReachesTheTargetConnected(String tag) {
    Net n = net(tag);
    Map<String, String> t = run.get("connected" + tag);
    everyRouterInOrder(n, t);
    assertThat(hop(t, 4)).as(t.get("raw")).containsOnly("connected@" + a(n.target));
    assertThat(t).containsEntry("kind", "reached").containsEntry("hop", "4")
        .containsEntry("address", a(n.target)).containsEntry("outcome", "connected");
    assertThat(t.get("line")).startsWith("reached_" + n.target + "_at_hop_4:_connected_(SYN-ACK,");
    assertThat(t.get("reach")).isEqualTo("-"); // no silent hop: no reachability probe
    assertThat(Integer.parseInt(t.get("syns"))).isEqualTo(12);
  }

  @ParameterizedTest(name = "IPv{0}")
  @ValueSource(strings = {"4", "6"})
  void reachesTheTargetRefused(String tag) {
    Net n = net(tag);
    Map<String, String> t = run.get("refused" + tag);
    everyRouterInOrder(n, t);
    assertThat(hop(t, 4)).containsOnly("reset@" + a(n.target));
    assertThat(t).containsEntry("kind", "reached").containsEntry("hop", "4")
        .containsEntry("outcome", "refused").containsEntry("errno", "ECONNREFUSED");
    assertThat(t.get("line")).startsWith("reached_" + n.target + "_at_hop_4:_refused_(RST,");
  }

  @ParameterizedTest(name = "IPv{0}")
  @ValueSource(strings = {"4", "6"})
  void aDropInRouter2IsDroppedAfterHop1(String tag) {
    Net n = net(tag);
    Map<String, String> t = run.get("dropped" + tag);
    assertThat(hop(t, 1)).containsOnly("time_exceeded@" + a(n.r1));
    assertThat(hop(t, 2)).containsExactly("silent@*"); // a silent probe ends its hop
    assertThat(t.get("reach")).isEqualTo("silent@*"); // the largest TTL gets no answer either
    assertThat(t).containsEntry("kind", "dropped").containsEntry("hop", "1")
        .containsEntry("address", a(n.r1)).containsEntry("outcome", "timeout")
        .containsEntry("hops", "3"); // the gap limit (2): hops 2 and 3 silent
    assertThat(t.get("line")).startsWith("the_SYN_is_dropped_after_hop_1_(" + n.r1 + ",");
    // hop 2, the reachability probe and hop 3 each waited one timeout, no more
    assertThat(Double.parseDouble(t.get("walk_ms"))).isBetween(3.0 * HOP_MS, 3.0 * HOP_MS
        + 1500);
  }

  @ParameterizedTest(name = "IPv{0}")
  @ValueSource(strings = {"4", "6"})
  void anAdminProhibitedRejectInRouter3IsRefusedByHop3(String tag) {
    Net n = net(tag);
    Map<String, String> t = run.get("prohibited" + tag);
    everyRouterInOrder(n, t);
    // router 3 answers its own TTL with time-exceeded, then rejects what it would forward
    assertThat(hop(t, 4)).containsExactly("unreachable@" + a(n.r3));
    assertThat(t).containsEntry("kind", "refused").containsEntry("hop", "3")
        .containsEntry("address", a(n.r3))
        .containsEntry("icmp", "icmp,admin-prohibited," + n.r3);
    // what a probe gives: IPv4's code 13 is EHOSTUNREACH, ICMPv6's code 1 EACCES
    assertThat(t.get("outcome")).isEqualTo(tag.equals("4") ? "host_unreachable" : "prohibited");
    assertThat(t.get("line")).isEqualTo("refused_by_hop_3_(" + n.r3
        + ",_ICMP_admin-prohibited)");
  }

  @ParameterizedTest(name = "IPv{0}")
  @ValueSource(strings = {"4", "6"})
  void aRouterThatSendsNoTimeExceededIsASilentHopAndTheTraceGoesOn(String tag) {
    Net n = net(tag);
    Map<String, String> t = run.get("silent" + tag);
    assertThat(hop(t, 1)).containsOnly("time_exceeded@" + a(n.r1));
    assertThat(hop(t, 2)).containsExactly("silent@*");
    assertThat(hop(t, 3)).containsOnly("time_exceeded@" + a(n.r3));
    assertThat(hop(t, 4)).containsOnly("reset@" + a(n.target));
    assertThat(t.get("reach")).isEqualTo("reset@" + a(n.target));
    assertThat(t).containsEntry("kind", "reached").containsEntry("hop", "4");
    assertThat(t.get("local")).startsWith(a(n.silentSource) + ":");
    // one timeout for the silent hop, round trips for the rest
    assertThat(Double.parseDouble(t.get("walk_ms"))).isBetween((double) HOP_MS, HOP_MS + 1000.0);
  }

  @ParameterizedTest(name = "IPv{0}")
  @ValueSource(strings = {"4", "6"})
  void aRoutingLoopIsNamedByTheTraceAndByAnOrdinaryProbeOnEveryEngine(String tag) {
    Net n = net(tag);
    Map<String, String> t = run.get("loop" + tag);
    // routers 1 and 2 take turns; an IPv6 router answers from the address of the interface the
    // packet came in on, so router 1 may answer hop 3 from another address than hop 1: the loop
    // is then seen when router 2 answers again, at hop 4
    Set<String> both = Set.of("time_exceeded@" + a(n.r1), "time_exceeded@" + a(n.r1b()),
        "time_exceeded@" + a(n.r2));
    int hops = Integer.parseInt(t.get("hops"));
    assertThat(hops).as(t.get("raw")).isBetween(3, 4);
    for (int h = 1; h <= hops; h++) {
      List<String> probes = hop(t, h);
      assertThat(probes).as(t.get("raw")).hasSize(3).containsOnly(probes.get(0));
      assertThat(both).contains(probes.get(0));
    }
    assertThat(hop(t, 1)).containsOnly("time_exceeded@" + a(n.r1));
    assertThat(hop(t, 2)).containsOnly("time_exceeded@" + a(n.r2));
    int from = Integer.parseInt(t.get("hop"));
    assertThat(from).isEqualTo(hops - 2);
    assertThat(hop(t, hops)).isEqualTo(hop(t, from));
    assertThat(t).containsEntry("kind", "loop").containsEntry("outcome", "host_unreachable");
    for (String engine : List.of("uring", "epoll", "jdk")) {
      Map<String, String> p = run.get("loopprobe" + tag + engine);
      assertThat(p).as(p.get("raw")).containsEntry("engine", engine)
          .containsEntry("outcome", "host_unreachable").containsEntry("errno", "EHOSTUNREACH");
      assertThat(p.get("icmp")).as(p.get("raw")).isIn("icmp,time-exceeded," + n.r1,
          "icmp,time-exceeded," + n.r1b(), "icmp,time-exceeded," + n.r2);
    }
  }

  @ParameterizedTest(name = "IPv{0}")
  @ValueSource(strings = {"4", "6"})
  void withEqualCostPathsEveryProbeOfATraceFollowsOnePath(String tag) {
    Net n = net(tag);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < ECMP_TRACES; i++) {
      Map<String, String> t = run.get("ecmp" + tag + "_" + i);
      assertThat(t).as(t.get("raw")).containsEntry("kind", "reached").containsEntry("hop", "4");
      assertThat(hop(t, 1)).containsOnly("time_exceeded@" + a(n.r1));
      List<String> second = hop(t, 2);
      assertThat(second).as("hop 2 of one trace: one path, %s", t.get("raw")).hasSize(3)
          .containsOnly(second.get(0));
      assertThat(second.get(0)).isIn("time_exceeded@" + a(n.r2), "time_exceeded@" + a(n.r2b));
      seen.add(second.get(0));
    }
    // and the paths are really two: traces from other source ports take the other one
    assertThat(seen).as("hop 2 over %d traces", ECMP_TRACES).hasSize(2);
  }

  @ParameterizedTest(name = "IPv{0}")
  @ValueSource(strings = {"4", "6"})
  void aRateLimitedRouterStillNamesWhatAnsweredAndCountsTheSilentProbes(String tag) {
    Net n = net(tag);
    Map<String, String> t = limited.get("limited" + tag);
    assertThat(hop(t, 1)).containsOnly("time_exceeded@" + a(n.r1));
    // one time-exceeded, then the limit: the next probe is silent and ends the hop
    assertThat(hop(t, 2)).containsExactly("time_exceeded@" + a(n.r2), "silent@*");
    assertThat(hop(t, 3)).containsOnly("time_exceeded@" + a(n.r3));
    assertThat(t).containsEntry("kind", "reached").containsEntry("hop", "4");
  }
}
