package dev.tcpdial.lab;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The path lab ({@code lab/chain.sh}) for one test class: a client, routers 1, 2 (and 2b beside
 * it), 3 and a target, under a prefix of its own (the JVM's pid in it), with listeners on port 80
 * in the target; {@link TraceProbe} runs in the client as user 65534. Taken down by {@link
 * #close()}, by a shutdown hook, and by chain.sh's watcher if the JVM is killed.
 */
public final class ChainLab implements AutoCloseable {
  private static final AtomicInteger SEQ = new AtomicInteger();
  private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(60);

  private final String prefix;
  private final String script;
  private final Thread hook;
  private Process server;
  private boolean closed;

  private ChainLab(String prefix) {
    this.prefix = prefix;
    this.script = Lab.labDir().resolve("chain.sh").toString();
    this.hook = new Thread(this::down, "chain-down-" + prefix);
  }

  /** Builds the path lab; skips the calling test when not root, not Linux, or without ip/nft. */
  public static ChainLab up() {
    assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux"),
        "the path lab needs Linux network namespaces");
    long uid = Lab.effectiveUid();
    assumeTrue(uid == 0, "the path lab needs root to create network namespaces; running as uid "
        + uid);
    assumeTrue(Lab.onPath("ip") != null, "the path lab needs the 'ip' command (iproute2)");
    assumeTrue(Lab.onPath("nft") != null, "the path lab needs the 'nft' command (nftables)");
    String prefix = "tp" + Long.toString(ProcessHandle.current().pid(), 36)
        + Integer.toString(SEQ.getAndIncrement() % 36, 36);
    ChainLab lab = new ChainLab(prefix);
    Runtime.getRuntime().addShutdownHook(lab.hook);
    try {
      lab.script("up", "--owner", Long.toString(ProcessHandle.current().pid()));
      lab.startServer();
    } catch (RuntimeException | Error e) {
      lab.close();
      throw e;
    }
    return lab;
  }

  /** The namespace {@code PREFIX + name}: c, r1, r2, r2b, r3, t. */
  public String ns(String name) {
    return prefix + name;
  }

  /** Writes a sysctl inside namespace {@code name}. */
  public void sysctl(String name, String key, String value) {
    Lab.Result r = Lab.run(List.of("ip", "netns", "exec", ns(name), "sh", "-c",
        "echo " + value + " > /proc/sys/" + key.replace('.', '/')), null, Duration.ofSeconds(10));
    if (r.exit() != 0) {
      throw new IllegalStateException("sysctl " + key + "=" + value + " in " + ns(name) + ": "
          + r.err());
    }
  }

  /** The output of {@link TraceProbe}, run as user 65534 in the client with {@code jobs}. */
  public Run run(List<String> jobs, Duration timeout) {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns("c")));
    cmd.addAll(Lab.UNPRIVILEGED);
    cmd.addAll(Lab.javaCommand(TraceProbe.class));
    Lab.Result r = Lab.run(cmd, String.join("\n", jobs) + "\n", timeout);
    if (r.timedOut() || r.exit() != 0) {
      throw new AssertionError("TraceProbe (exit " + r.exit() + (r.timedOut() ? ", timed out" : "")
          + ")\nstdout:\n" + r.out() + "\nstderr:\n" + r.err());
    }
    return Run.of(r.out(), r.err());
  }

  /** One run's lines: by job id, and the probe process's uid. */
  public record Run(Map<String, Map<String, String>> lines, String uid, String stdout) {
    static Run of(String out, String err) {
      Map<String, Map<String, String>> lines = new LinkedHashMap<>();
      String uid = "-";
      for (String line : out.split("\n")) {
        Map<String, String> kv = new LinkedHashMap<>();
        String[] t = line.strip().split(" ");
        for (int i = 1; i < t.length; i++) {
          int eq = t[i].indexOf('=');
          if (eq > 0) {
            kv.put(t[i].substring(0, eq), t[i].substring(eq + 1));
          }
        }
        if (line.startsWith("INFO ")) {
          uid = kv.getOrDefault("uid", "-");
        } else if (line.startsWith("TRACE ") || line.startsWith("PROBE ")) {
          kv.put("raw", line);
          lines.put(kv.get("id"), kv);
        } else if (line.startsWith("FAILED ")) {
          throw new AssertionError("a TraceProbe job failed: " + line + "\nstderr:\n" + err);
        }
      }
      return new Run(lines, uid, out);
    }

    /** The line of job {@code id}, as key=value pairs. */
    public Map<String, String> get(String id) {
      Map<String, String> m = lines.get(id);
      if (m == null) {
        throw new AssertionError("no line for job " + id + " in\n" + stdout);
      }
      return m;
    }
  }

  private void startServer() {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns("t")));
    cmd.addAll(Lab.javaCommand(LabServer.class));
    cmd.add("80");
    try {
      server = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the target's listener", e);
    }
    CompletableFuture<String> ready = new CompletableFuture<>();
    Process p = server;
    Thread.ofPlatform().daemon().start(() -> {
      StringBuilder seen = new StringBuilder();
      try (InputStream in = p.getInputStream()) {
        var reader = new java.io.BufferedReader(new java.io.InputStreamReader(in,
            StandardCharsets.UTF_8));
        String line;
        while ((line = reader.readLine()) != null) {
          if (line.startsWith("READY")) {
            ready.complete(line);
          }
          seen.append(line).append('\n');
        }
      } catch (IOException ignored) {
        // gone
      }
      ready.completeExceptionally(new IllegalStateException("LabServer ended: " + seen));
    });
    try {
      ready.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("the target's listener did not start", e);
    }
  }

  private void script(String command, String... options) {
    List<String> cmd = new ArrayList<>(List.of(script, command, prefix));
    cmd.addAll(List.of(options));
    Lab.Result r = Lab.run(cmd, null, SCRIPT_TIMEOUT);
    if (r.exit() != 0 || r.timedOut()) {
      throw new IllegalStateException("chain.sh " + command + " " + prefix + " failed (exit "
          + r.exit() + "):\n" + r.out() + r.err());
    }
  }

  private synchronized void down() {
    if (closed) {
      return;
    }
    closed = true;
    Process p = server;
    server = null;
    if (p != null) {
      try {
        p.getOutputStream().close();
        if (!p.waitFor(3, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (IOException | InterruptedException e) {
        p.destroyForcibly();
      }
    }
    Lab.run(List.of(script, "down", prefix), null, SCRIPT_TIMEOUT);
  }

  /** Takes the lab down and checks that none of its namespaces is left. Idempotent. */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
    down();
    Lab.Result list = Lab.run(List.of("ip", "netns", "list"), null, Duration.ofSeconds(10));
    for (String line : list.out().split("\n")) {
      if (line.startsWith(prefix)) {
        throw new IllegalStateException("namespace left after chain.sh down: " + line);
      }
    }
  }
}
