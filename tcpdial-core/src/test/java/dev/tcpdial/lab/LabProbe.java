package dev.tcpdial.lab;

import dev.tcpdial.Attempt;
import dev.tcpdial.DialException;
import dev.tcpdial.DialListener;
import dev.tcpdial.DialResult;
import dev.tcpdial.Dialer;
import dev.tcpdial.Engine;
import dev.tcpdial.Family;
import dev.tcpdial.Mode;
import dev.tcpdial.Target;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Dials targets from inside a lab namespace and prints one machine-readable line per result. Run
 * it with {@code ip netns exec NS java -cp TEST:MAIN --enable-native-access=ALL-UNNAMED
 * --add-exports java.base/sun.nio.ch=ALL-UNNAMED -Djava.net.preferIPv6Addresses=system
 * dev.tcpdial.lab.LabProbe [options] target...}.
 *
 * <p>Options (each applies to the targets after it on the same line):
 *
 * <pre>
 *   --mode sync|async|both     default both: every target once per mode
 *   --engine jdk|native        Dialer.Builder.engine; default: the dialer's choice
 *   --api probe|dial           probe()/probeAsync() (default) or dial()/dialAsync()
 *   --connect-timeout MS       default 10000; 0: none of ours
 *   --deadline MS              default 0: none
 *   --attempt-delay MS         default 250; 0: one address at a time
 *   --syn-retries N            default 0: the namespace's net.ipv4.tcp_syn_retries
 *   --family any|ipv4|ipv6     default any
 *   --id NAME                  the id printed for the next target (default: the target)
 *   --jobs FILE|-              more lines of "[options] target..." (# comments)
 *   --sequential               one dial after another; default: all at once
 *   --warmup TARGET            dial TARGET once per mode first, printed as WARMUP lines
 *                              (repeatable: warm up the failure paths too)
 *   --timeout-s N              give up on dials still running after N s (default 60)
 * </pre>
 *
 * <p>Output, one line per dial, space-separated {@code key=value} with no spaces in values:
 *
 * <pre>
 * RESULT id=arp4 target=198.18.0.99:80 mode=sync engine=jdk api=probe outcome=host_unreachable
 *   errno=EHOSTUNREACH errnum=113 elapsed_ms=3061.2 remote=198.18.0.99:80 attempts=1
 *   a0=198.18.0.99:80|host_unreachable|EHOSTUNREACH|0.0|3061.0|first
 * </pre>
 *
 * (on one line). {@code errno=-} and {@code errnum=-} when the kernel gave none, {@code remote=-}
 * when no attempt was made; each {@code aN} is {@code address|outcome|errno|start ms|elapsed
 * ms|reason|icmp}, and {@code icmp=} is the result's: {@code origin,name,sender} ({@code
 * icmp,time-exceeded,198.18.21.2}, {@code local,-,-}) or {@code -}; a failed {@code --api dial} adds {@code cause=} (its cause's message, spaces as
 * {@code _}). An {@code INFO} line before and after the dials gives the namespace's {@code
 * net.ipv4.tcp_syn_retries}; {@code DONE count=N} ends the output. Exit status 0 when every dial
 * ended (whatever its outcome), 3 when some were still running at {@code --timeout-s}, 2 for bad
 * arguments.
 */
public final class LabProbe {

  /** The options of one dial. */
  record Job(String id, Target target, Mode mode, Engine engine, String api, long connectTimeoutMs,
      long deadlineMs, long attemptDelayMs, int synRetries, Family family) {}

  /** Options while parsing a line; a copy starts each line from the command line's. */
  private static final class Options implements Cloneable {
    List<Mode> modes = List.of(Mode.SYNC, Mode.ASYNC);
    Engine engine;
    String api = "probe";
    long connectTimeoutMs = 10_000;
    long deadlineMs;
    long attemptDelayMs = 250;
    int synRetries;
    Family family = Family.ANY;
    String id;

    @Override
    public Options clone() {
      try {
        Options o = (Options) super.clone();
        o.id = null;
        return o;
      } catch (CloneNotSupportedException e) {
        throw new AssertionError(e);
      }
    }
  }

  private static boolean sequential;
  private static final List<String> warmups = new ArrayList<>();
  private static long timeoutSeconds = 60;

  private LabProbe() {}

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    List<Job> jobs = new ArrayList<>();
    try {
      Options global = new Options();
      parseLine(List.of(args), global, jobs, true);
    } catch (IllegalArgumentException e) {
      System.err.println("LabProbe: " + e.getMessage());
      System.exit(2);
    }
    out.println("INFO phase=before tcp_syn_retries=" + synRetriesSysctl() + " uid=" + uid() + " ");
    out.flush();
    for (String warmup : warmups) {
      for (Mode m : Mode.values()) {
        Job w = new Job("warmup-" + m.label() + "-" + warmup, Target.parse(warmup), m, null, "probe",
            2000, 0, 250, 0, Family.ANY);
        out.println(format("WARMUP", w, run(w)));
      }
    }
    List<CompletableFuture<String>> lines = new ArrayList<>();
    for (Job j : jobs) {
      if (sequential) {
        lines.add(CompletableFuture.completedFuture(line(j)));
      } else {
        CompletableFuture<String> f = new CompletableFuture<>();
        Thread.ofPlatform().name("probe-" + j.id()).daemon().start(() -> f.complete(line(j)));
        lines.add(f);
      }
    }
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    int hung = 0;
    for (int i = 0; i < jobs.size(); i++) {
      try {
        out.println(lines.get(i).get(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS));
      } catch (TimeoutException e) {
        Job j = jobs.get(i);
        out.println("RESULT id=" + j.id() + " target=" + j.target() + " mode=" + j.mode().label()
            + " engine=- api=" + j.api() + " outcome=still_running errno=- errnum=- elapsed_ms=-"
            + " remote=- attempts=0");
        hung++;
      }
      out.flush();
    }
    out.println("INFO phase=after tcp_syn_retries=" + synRetriesSysctl() + " uid=" + uid() + " ");
    out.println("DONE count=" + jobs.size());
    out.flush();
    System.exit(hung > 0 ? 3 : 0);
  }

  private static void parseLine(List<String> args, Options base, List<Job> jobs, boolean top)
      throws IOException {
    Options o = base.clone();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (!a.startsWith("--")) {
        Target t = Target.parse(a);
        for (Mode m : o.modes) {
          String id = (o.id != null ? o.id : a) + (o.modes.size() > 1 ? "/" + m.label() : "");
          jobs.add(new Job(id, t, m, o.engine, o.api, o.connectTimeoutMs, o.deadlineMs,
              o.attemptDelayMs, o.synRetries, o.family));
        }
        o.id = null;
        continue;
      }
      if (a.equals("--sequential")) {
        sequential = true;
        continue;
      }
      if (i + 1 >= args.size()) {
        throw new IllegalArgumentException(a + " needs a value");
      }
      String v = args.get(++i);
      switch (a) {
        case "--mode" -> o.modes = switch (v) {
          case "sync" -> List.of(Mode.SYNC);
          case "async" -> List.of(Mode.ASYNC);
          case "both" -> List.of(Mode.SYNC, Mode.ASYNC);
          default -> throw new IllegalArgumentException("--mode sync|async|both, not " + v);
        };
        case "--engine" -> o.engine = Engine.valueOf(v.toUpperCase(Locale.ROOT));
        case "--api" -> {
          if (!v.equals("probe") && !v.equals("dial")) {
            throw new IllegalArgumentException("--api probe|dial, not " + v);
          }
          o.api = v;
        }
        case "--connect-timeout" -> o.connectTimeoutMs = Long.parseLong(v);
        case "--deadline" -> o.deadlineMs = Long.parseLong(v);
        case "--attempt-delay" -> o.attemptDelayMs = Long.parseLong(v);
        case "--syn-retries" -> o.synRetries = Integer.parseInt(v);
        case "--family" -> o.family = Family.valueOf(v.toUpperCase(Locale.ROOT));
        case "--id" -> o.id = v;
        case "--warmup" -> warmups.add(v);
        case "--timeout-s" -> timeoutSeconds = Long.parseLong(v);
        case "--jobs" -> {
          if (!top) {
            throw new IllegalArgumentException("--jobs inside a jobs file");
          }
          List<String> text = v.equals("-")
              ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).lines().toList()
              : Files.readAllLines(Path.of(v));
          for (String l : text) {
            String s = l.strip();
            if (!s.isEmpty() && !s.startsWith("#")) {
              parseLine(List.of(s.split("\\s+")), o, jobs, false);
            }
          }
        }
        default -> throw new IllegalArgumentException("unknown option " + a);
      }
    }
  }

  private static Dialer dialer(Job j, DialListener listener) {
    Dialer.Builder b = Dialer.builder()
        .mode(j.mode())
        .connectTimeout(Duration.ofMillis(j.connectTimeoutMs()))
        .deadline(Duration.ofMillis(j.deadlineMs()))
        .attemptDelay(Duration.ofMillis(j.attemptDelayMs()))
        .synRetries(j.synRetries())
        .family(j.family())
        .listener(listener);
    if (j.engine() != null) {
      b.engine(j.engine());
    }
    return b.build();
  }

  private static String line(Job j) {
    try {
      // late_ms: what held this dial up that no code of ours controls (this process's stalls, its
      // threads' wait for a CPU: SchedulingDelay.dialMs); packets_ms: the kernel's packet delivery's
      // wait for a CPU (SchedulingDelay.packetsMs). The test's bounds add them to their own slack.
      try (dev.tcpdial.SchedulingDelay late = dev.tcpdial.SchedulingDelay.start()) {
        DialResult r = run(j);
        double lateMs = late.dialMs(r);
        double packetsMs = late.packetsMs();
        return format("RESULT", j, r) + String.format(java.util.Locale.ROOT,
            " late_ms=%.1f packets_ms=%.1f", lateMs, packetsMs);
      }
    } catch (RuntimeException | Error e) {
      return "RESULT id=" + j.id() + " target=" + j.target() + " mode=" + j.mode().label()
          + " engine=- api=" + j.api() + " outcome=probe_failed errno=- errnum=- elapsed_ms=-"
          + " remote=- attempts=0 exception=" + e.toString().replaceAll("\\s+", "_");
    }
  }

  /** Dials as the job says; the result of a connected dial() comes from the listener. */
  static DialResult run(Job j) {
    if (j.api().equals("probe")) {
      try (Dialer d = dialer(j, DialListener.NONE)) {
        return j.mode() == Mode.SYNC ? d.probe(j.target()) : d.probeAsync(j.target()).join();
      }
    }
    CompletableFuture<DialResult> connected = new CompletableFuture<>();
    DialListener l = new DialListener() {
      @Override
      public void connected(Target target, Attempt attempt, DialResult result) {
        connected.complete(result);
      }
    };
    try (Dialer d = dialer(j, l)) {
      SocketChannel ch;
      if (j.mode() == Mode.SYNC) {
        ch = d.dial(j.target());
      } else {
        try {
          ch = d.dialAsync(j.target()).get();
        } catch (ExecutionException e) {
          if (e.getCause() instanceof DialException de) {
            throw de;
          }
          throw new IllegalStateException(e.getCause());
        }
      }
      try (ch) {
        DialResult r = connected.get(5, TimeUnit.SECONDS);
        if (!ch.isConnected() || !ch.getRemoteAddress().equals(r.remote())) {
          throw new IllegalStateException("dial returned " + ch + " but the listener saw " + r);
        }
        return r;
      }
    } catch (DialException e) {
      CAUSE.set(e.getCause());
      return e.result();
    } catch (IOException | TimeoutException | ExecutionException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The cause of the last failed dial() on this thread, printed as {@code cause=}. */
  private static final ThreadLocal<Throwable> CAUSE = new ThreadLocal<>();

  static String format(String kind, Job j, DialResult r) {
    StringBuilder sb = new StringBuilder(kind);
    sb.append(" id=").append(j.id());
    sb.append(" target=").append(j.target());
    sb.append(" mode=").append(r.mode().label());
    sb.append(" engine=").append(r.engine().label());
    sb.append(" api=").append(j.api());
    sb.append(" outcome=").append(r.outcome().label());
    sb.append(" errno=").append(r.errno() == null ? "-" : r.errno().name());
    sb.append(" errnum=").append(r.errno() == null ? "-" : Integer.toString(r.errno().number()));
    sb.append(" elapsed_ms=").append(ms(r.elapsed()));
    sb.append(" remote=").append(r.remote() == null ? "-" : addr(r.remote()));
    sb.append(" attempts=").append(r.attempts().size());
    for (Attempt a : r.attempts()) {
      sb.append(" a").append(a.index()).append('=').append(addr(a.remote()))
          .append('|').append(a.outcome().label())
          .append('|').append(a.errno() == null ? "-" : a.errno().name())
          .append('|').append(ms(a.start()))
          .append('|').append(ms(a.elapsed()))
          .append('|').append(a.reason().label())
          .append('|').append(icmp(a.icmp()));
    }
    sb.append(" icmp=").append(icmp(r.icmp()));
    Throwable cause = CAUSE.get();
    CAUSE.remove();
    if (cause != null) {
      sb.append(" cause=").append(String.valueOf(cause.getMessage()).strip().replaceAll("\\s+", "_"));
    }
    return sb.toString();
  }

  /** {@code origin,name,from} ({@code icmp,time-exceeded,198.18.21.2}; {@code -} parts), or -. */
  static String icmp(dev.tcpdial.IcmpReport r) {
    if (r == null) {
      return "-";
    }
    return r.origin().label() + "," + (r.hasType() ? r.name() : "-") + ","
        + (r.from() == null ? "-" : r.fromText());
  }

  static String addr(InetSocketAddress a) {
    return Target.of(a).toString();
  }

  static String ms(Duration d) {
    return String.format(Locale.ROOT, "%.1f", d.toNanos() / 1e6);
  }

  /** The effective user id, from /proc/self/status. */
  private static String uid() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.substring(4).strip().split("\\s+")[1];
        }
      }
    } catch (IOException e) {
      // below
    }
    return "-";
  }

  private static String synRetriesSysctl() {
    try {
      return Files.readAllLines(Path.of("/proc/sys/net/ipv4/tcp_syn_retries")).get(0).strip();
    } catch (IOException e) {
      return "-";
    }
  }
}
