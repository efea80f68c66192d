package dev.tcpdial.lab;

import dev.tcpdial.DialResult;
import dev.tcpdial.Dialer;
import dev.tcpdial.Engine;
import dev.tcpdial.Target;
import dev.tcpdial.Trace;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * Runs path traces and probes from inside a lab namespace, as whatever user it is started as, and
 * prints one machine-readable line per job. Jobs come on standard input, one a line, all run at
 * once (each trace on a thread of its own):
 *
 * <pre>
 *   ID trace TARGET [--source ADDR] [--timeout-ms N] [-q N] [--max-hops N] [--gap N]
 *   ID probe TARGET ENGINE [--timeout-ms N]           ENGINE: uring, epoll, jdk
 * </pre>
 *
 * <p>Output (values have no spaces): {@code INFO uid=N}, then per job
 *
 * <pre>
 * TRACE id=ID kind=reached hop=4 address=198.18.23.2 outcome=refused errno=ECONNREFUSED
 *   icmp=- local=198.18.20.2:40123 elapsed_ms=12.3 walk_ms=2.1 reach=- syns=12 hops=4
 *   h1=time_exceeded@198.18.20.1,time_exceeded@198.18.20.1,... h2=... line=reached_198.18.23.2_...
 * PROBE id=ID engine=uring outcome=host_unreachable errno=EHOSTUNREACH icmp=icmp,time-exceeded,198.18.21.2
 * </pre>
 *
 * (each on one line; {@code walk_ms} from the first SYN to the end), then {@code DONE}.
 */
public final class TraceProbe {
  private TraceProbe() {}

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    out.println("INFO uid=" + uid());
    List<String> jobs = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
        .lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    List<CompletableFuture<String>> runs = new ArrayList<>();
    for (String job : jobs) {
      CompletableFuture<String> f = new CompletableFuture<>();
      Thread.ofPlatform().start(() -> {
        try {
          f.complete(run(job));
        } catch (Throwable t) {
          f.complete("FAILED job=" + job.replace(' ', '_') + " error=" + t.toString()
              .replaceAll("\\s+", "_"));
        }
      });
      runs.add(f);
    }
    for (CompletableFuture<String> f : runs) {
      out.println(f.join());
    }
    out.println("DONE");
  }

  private static String run(String job) throws Exception {
    String[] w = job.split("\\s+");
    String id = w[0];
    Target target = Target.parse(w[2]);
    Dialer.Builder b = Dialer.builder();
    Trace.Options o = Trace.Options.DEFAULT.withMaxHops(12);
    long timeoutMs = 500;
    int from = w[1].equals("probe") ? 4 : 3;
    for (int i = from; i < w.length; i++) {
      switch (w[i]) {
        case "--source" -> b.localAddress(InetAddress.getByName(w[++i]));
        case "--timeout-ms" -> timeoutMs = Long.parseLong(w[++i]);
        case "-q" -> o = o.withProbesPerHop(Integer.parseInt(w[++i]));
        case "--max-hops" -> o = o.withMaxHops(Integer.parseInt(w[++i]));
        case "--gap" -> o = o.withGapLimit(Integer.parseInt(w[++i]));
        default -> throw new IllegalArgumentException("unknown option " + w[i]);
      }
    }
    o = o.withHopTimeout(Duration.ofMillis(timeoutMs));
    if (w[1].equals("probe")) {
      Engine e = Engine.valueOf(w[3].toUpperCase(Locale.ROOT));
      try (Dialer d = b.engine(e).connectTimeout(Duration.ofMillis(timeoutMs * 4)).build()) {
        DialResult r = d.probe(target);
        return "PROBE id=" + id + " engine=" + r.engine().label() + " outcome="
            + r.outcome().label() + " errno=" + (r.errno() == null ? "-" : r.errno().name())
            + " icmp=" + LabProbe.icmp(r.icmp());
      }
    }
    try (Dialer d = b.build()) {
      Trace t = d.trace(target, o);
      return format(id, t);
    }
  }

  static String format(String id, Trace t) {
    Trace.Verdict v = t.verdict();
    StringBuilder sb = new StringBuilder("TRACE id=").append(id)
        .append(" kind=").append(v.kind().label())
        .append(" hop=").append(v.hop())
        .append(" address=").append(v.address() == null ? "-" : v.address().getHostAddress())
        .append(" outcome=").append(v.outcome().label())
        .append(" errno=").append(v.errno() == null ? "-" : v.errno().name())
        .append(" icmp=").append(LabProbe.icmp(v.icmp()))
        .append(" local=").append(t.local() == null ? "-" : t.local().getAddress().getHostAddress()
            + ":" + t.local().getPort())
        .append(" elapsed_ms=").append(String.format(Locale.ROOT, "%.1f",
            t.elapsed().toNanos() / 1e6))
        .append(" walk_ms=").append(t.probes().isEmpty() ? "-" : String.format(Locale.ROOT,
            "%.1f", (t.elapsed().toNanos() - t.probes().getFirst().sent().toNanos()) / 1e6))
        .append(" reach=").append(t.reachability() == null ? "-" : probe(t.reachability()))
        .append(" syns=").append(t.probes().size())
        .append(" hops=").append(t.hops().size());
    for (Trace.Hop h : t.hops()) {
      sb.append(" h").append(h.ttl()).append('=')
          .append(h.probes().stream().map(TraceProbe::probe).collect(Collectors.joining(",")));
    }
    sb.append(" line=").append(v.line().replace(' ', '_'));
    if (t.detail() != null) {
      sb.append(" detail=").append(t.detail().replace(' ', '_'));
    }
    return sb.toString();
  }

  private static String probe(Trace.Probe p) {
    return p.answer().label() + "@" + (p.from() == null ? "*" : p.from().getHostAddress());
  }

  private static String uid() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.substring(4).strip().split("\\s+")[1];
        }
      }
    } catch (java.io.IOException e) {
      // below
    }
    return "-";
  }
}
