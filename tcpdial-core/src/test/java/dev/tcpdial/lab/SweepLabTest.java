package dev.tcpdial.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The adaptive window against the kernel, in network namespaces of this class's own (root only):
 * a full loopback port scan never names a closed port {@code timeout}; the window opens on a
 * silent range; it shrinks when a listener's accept queue overflows, and when a rate limit on SYNs
 * makes answers come only to retransmitted SYNs, and no answer is lost to either.
 */
class SweepLabTest {
  private static final String PREFIX = "tsl" + Long.toString(ProcessHandle.current().pid(), 36);
  private static final String LOOP = PREFIX + "l";
  private static final String SILENT = PREFIX + "s";
  private static final String PEER = PREFIX + "x";
  private static final String LIMITED = PREFIX + "q";
  private static final List<String> CREATED = new ArrayList<>();
  private static Thread hook;

  @BeforeAll
  static void namespaces() throws Exception {
    assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux"),
        "sweep lab tests need Linux network namespaces");
    assumeTrue(uid() == 0, "sweep lab tests need root to create network namespaces (uid "
        + uid() + "); run the build as root, as CI does, to include them");
    assumeTrue(run("ip", "-V") == 0, "sweep lab tests need the 'ip' command (iproute2)");
    assumeTrue(run("nft", "--version") == 0, "sweep lab tests need 'nft' (nftables)");
    hook = new Thread(SweepLabTest::removeAll, "sweep-lab-down");
    Runtime.getRuntime().addShutdownHook(hook);
    // a loopback of its own: nothing listens but what the scan opens
    add(LOOP);
    // a route into a second namespace whose SYNs an nftables output drop swallows: silent
    add(SILENT);
    add(PEER);
    must("ip", "link", "add", PREFIX + "v1", "netns", SILENT, "type", "veth", "peer", "name",
        PREFIX + "v2", "netns", PEER);
    must("ip", "-n", SILENT, "link", "set", PREFIX + "v1", "up");
    must("ip", "-n", PEER, "link", "set", PREFIX + "v2", "up");
    must("ip", "-n", SILENT, "addr", "add", "198.19.0.1/32", "dev", PREFIX + "v1");
    must("ip", "-n", SILENT, "route", "add", "198.18.0.0/16", "dev", PREFIX + "v1", "src",
        "198.19.0.1");
    nft(SILENT, "table inet t {", " chain out {", "  type filter hook output priority 0;",
        "  ip daddr 198.18.0.0/16 drop", " }", "}");
    // a namespace that owns 198.18.0.0/16 on its loopback (AnyIP), for queues made to overflow
    add(LIMITED);
    must("ip", "-n", LIMITED, "route", "add", "local", "198.18.0.0/16", "dev", "lo");
  }

  @AfterAll
  static void down() {
    removeAll();
    if (hook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs anyway
      }
    }
  }

  @Test
  void aLoopbackScanNeverNamesAClosedPortTimeout() throws Exception {
    List<Map<String, String>> runs = sweep(LOOP, 240, "--ports", "1-65535", "--listen", "3",
        "--runs", "3");
    assertThat(runs).hasSize(3);
    for (Map<String, String> r : runs) {
      assertThat(r.get("timeout")).as(r.toString()).isEqualTo("0");
      assertThat(r.get("other")).as(r.toString()).isEqualTo("0");
      assertThat(r.get("connected")).as(r.toString()).isEqualTo("3");
      assertThat(r.get("refused")).as(r.toString()).isEqualTo("65532");
      assertThat(r.get("wrongOpen")).as(r.toString()).isEqualTo("-");
    }
  }

  @Test
  void aSilentRangeOpensTheWindowToItsEveryTarget() throws Exception {
    Map<String, String> r = sweep(SILENT, 60, "--block", "198.18.0.0/20:80", "--timeout", "1000")
        .getFirst();
    assertThat(r.get("timeout")).as(r.toString()).isEqualTo("4096");
    assertThat(r.get("min")).isEqualTo("16");
    // how far it opens depends on how fast this machine starts connects (on two loaded cores,
    // ~2,500 in the answer time); it stops only where starting is the limit
    assertThat(Integer.parseInt(r.get("max"))).as(r.toString()).isGreaterThanOrEqualTo(1024);
    assertThat(Integer.parseInt(r.get("inflight"))).as(r.toString()).isGreaterThanOrEqualTo(1024);
    assertThat(r.get("cuts")).as(r.toString()).isEqualTo("-");
    // a window of 16 would take 256 timeouts of 1 s; open, it takes a few
    assertThat(Long.parseLong(r.get("ms"))).as(r.toString()).isLessThan(12_000);
  }

  @Test
  void aFullAcceptQueueShrinksTheWindow() throws Exception {
    // one listener on every address of the /16, backlog 1, never accepting: past the first
    // connections every SYN is dropped at the listener (TcpExt ListenDrops)
    Map<String, String> r = sweep(LIMITED, 60, "--block", "198.18.1.0/22:4000", "--stuck", "4000",
        "--timeout", "300").getFirst();
    assertThat(r.get("cuts")).as(r.toString()).contains("LISTEN_QUEUE_DROPS");
    assertThat(Integer.parseInt(r.get("probed"))).isEqualTo(1024);
    assertThat(Long.parseLong(r.get("retried"))).as("suspect timeouts tried again")
        .isPositive();
  }

  @Test
  void aRateLimitOnSynsShrinksTheWindowAndEveryClosedPortIsRefused() throws Exception {
    // SYNs to port 5000 beyond 1000 a second (bursts of 20) are dropped on their way in: the
    // kernel sends them again after 1 s, and they are answered then (refused), later than the
    // namespace's answers
    nft(LIMITED, "table inet t {", " chain in {", "  type filter hook input priority 0;",
        "  tcp dport 5000 tcp flags & (syn | ack) == syn limit rate over 1000/second burst 20"
            + " packets drop",
        " }", "}");
    try {
      Map<String, String> r = sweep(LIMITED, 90, "--block", "198.18.8.0/23:5000", "--timeout",
          "2500").getFirst();
      assertThat(r.get("refused")).as(r.toString()).isEqualTo("512");
      assertThat(r.get("timeout")).as(r.toString()).isEqualTo("0");
      assertThat(r.get("cuts")).as(r.toString()).contains("LATE_ANSWERS");
      assertThat(Integer.parseInt(r.get("min"))).isLessThan(Integer.parseInt(r.get("max")));
    } finally {
      must("ip", "netns", "exec", LIMITED, "nft", "delete", "table", "inet", "t");
    }
  }

  // ---- helpers ----

  /** Runs {@link LabSweep} in {@code ns}; its RUN lines as maps. */
  private static List<Map<String, String>> sweep(String ns, int timeoutSeconds, String... args)
      throws Exception {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    cmd.addAll(Lab.javaCommand(LabSweep.class));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    List<String> lines;
    try (var in = p.inputReader(StandardCharsets.UTF_8)) {
      lines = in.lines().toList();
    }
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("LabSweep did not end in " + timeoutSeconds + " s: " + lines);
    }
    assertThat(p.exitValue()).as(String.join("\n", lines)).isZero();
    List<Map<String, String>> runs = new ArrayList<>();
    for (String l : lines) {
      if (l.startsWith("RUN ")) {
        System.out.println(ns + ": " + l);
        Map<String, String> m = new HashMap<>();
        for (String kv : l.split(" ")) {
          int eq = kv.indexOf('=');
          if (eq > 0) {
            m.put(kv.substring(0, eq), kv.substring(eq + 1));
          }
        }
        runs.add(m);
      }
    }
    assertThat(runs).as(String.join("\n", lines)).isNotEmpty();
    return runs;
  }

  private static void add(String ns) throws Exception {
    must("ip", "netns", "add", ns);
    synchronized (CREATED) {
      CREATED.add(ns);
    }
    must("ip", "-n", ns, "link", "set", "lo", "up");
  }

  private static void nft(String ns, String... lines) throws Exception {
    Path f = Files.createTempFile("sweep-lab", ".nft");
    try {
      Files.writeString(f, String.join("\n", lines) + "\n");
      must("ip", "netns", "exec", ns, "nft", "-f", f.toString());
    } finally {
      Files.deleteIfExists(f);
    }
  }

  private static synchronized void removeAll() {
    synchronized (CREATED) {
      for (String ns : CREATED) {
        try {
          String pids = new String(new ProcessBuilder("ip", "netns", "pids", ns).start()
              .getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
          for (String pid : pids.split("\\s+")) {
            if (!pid.isEmpty()) {
              ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
            }
          }
          run("ip", "netns", "del", ns);
        } catch (IOException | RuntimeException | InterruptedException e) {
          // best effort: the next namespace still goes
        }
      }
      CREATED.clear();
    }
  }

  private static void must(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }
  }

  private static int run(String... cmd) throws IOException, InterruptedException {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(20, TimeUnit.SECONDS) ? p.exitValue() : -1;
    } catch (IOException e) {
      return -1;
    }
  }

  private static long uid() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return Long.parseLong(line.substring(4).strip().split("\\s+")[1]);
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
