package dev.tcpdial.lab;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tcpdial.Dialer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * A network lab for one test class: {@code lab/lab.sh up} under a prefix of its own, the listeners
 * in the server namespace, probes run in the client namespaces, and {@code lab.sh down} at the end
 * (also from a shutdown hook if the JVM exits first). Use it as
 *
 * <pre>
 * static Lab lab;
 * &#64;BeforeAll static void up() { lab = Lab.up(); }     // skips the class when not root
 * &#64;AfterAll static void down() { if (lab != null) lab.close(); }
 * </pre>
 */
public final class Lab implements AutoCloseable {
  private static final AtomicInteger SEQ = new AtomicInteger();
  private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(60);

  private final String prefix;
  private final Path script;
  private final Thread hook;
  private Process server;
  private boolean closed;

  private Lab(String prefix, Path script) {
    this.prefix = prefix;
    this.script = script;
    this.hook = new Thread(this::downQuietly, "lab-down-" + prefix);
  }

  /**
   * Builds a lab with a fresh prefix and starts the listeners on port 80 in its server namespace.
   * Skips the calling test (JUnit assumption) when not root, not on Linux or without {@code ip}.
   */
  public static Lab up() {
    assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux"),
        "lab tests need Linux network namespaces; this is " + System.getProperty("os.name"));
    long uid = effectiveUid();
    assumeTrue(uid == 0, "lab tests need root to create network namespaces; running as uid " + uid
        + " (run the build as root, e.g. in CI, to include them)");
    assumeTrue(onPath("ip") != null, "lab tests need the 'ip' command (iproute2), not found on PATH");
    Path script = findScript();
    String prefix = "tl" + Long.toString(ProcessHandle.current().pid(), 36)
        + Integer.toString(SEQ.getAndIncrement() % 36, 36);
    Lab lab = new Lab(prefix, script);
    Runtime.getRuntime().addShutdownHook(lab.hook);
    try {
      // the watcher takes the lab down even if this JVM is killed outright
      lab.script("up", "--owner", Long.toString(ProcessHandle.current().pid()));
      lab.startServer(80);
    } catch (RuntimeException | Error e) {
      lab.close();
      throw e;
    }
    return lab;
  }

  /** The prefix of this lab's namespaces. */
  public String prefix() {
    return prefix;
  }

  /** The client namespace: routes to the lab only, local unreachable/prohibit/blackhole routes. */
  public String client() {
    return prefix + "c";
  }

  /** The second client namespace, whose {@code net.ipv4.tcp_syn_retries} is 1. */
  public String shortSynClient() {
    return prefix + "k";
  }

  /** The router namespace. */
  public String router() {
    return prefix + "r";
  }

  /** The server namespace (listeners on port 80). */
  public String server() {
    return prefix + "s";
  }

  /** The namespace for a letter of {@code lab/demo-targets.txt}: c, k, r or s. */
  public String namespace(String letter) {
    return prefix + letter;
  }

  /** A sysctl's value inside {@code namespace}, such as {@code net.ipv4.tcp_syn_retries}. */
  public String sysctl(String namespace, String key) {
    return exec(namespace, "cat", "/proc/sys/" + key.replace('.', '/')).strip();
  }

  /** Runs a short command inside {@code namespace}; its standard output. */
  public String exec(String namespace, String... command) {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
    cmd.addAll(List.of(command));
    Result r = run(cmd, null, Duration.ofSeconds(20));
    if (r.exit != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed (exit " + r.exit + "): " + r.err);
    }
    return r.out;
  }

  /** The output of {@code lab.sh status}. */
  public String status() {
    Result r = run(List.of(script.toString(), "status", prefix), null, SCRIPT_TIMEOUT);
    return r.out + r.err;
  }

  /**
   * Runs {@link LabProbe} in {@code namespace} with {@code args}, feeding {@code jobs} (lines of
   * "[options] target...") on its standard input when not empty, and waits at most {@code
   * timeout}.
   *
   * @throws AssertionError when the probe does not finish in time or exits with an error
   */
  public ProbeRun probe(String namespace, List<String> args, List<String> jobs, Duration timeout) {
    return probe(namespace, args, jobs, timeout, false);
  }

  /**
   * {@link #probe}; {@code unprivileged}: the probe process runs as user and group 65534
   * ({@code nobody}), with no supplementary groups and no capabilities, inside the namespace.
   */
  public ProbeRun probe(String namespace, List<String> args, List<String> jobs, Duration timeout,
      boolean unprivileged) {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
    if (unprivileged) {
      cmd.addAll(UNPRIVILEGED);
    }
    cmd.addAll(javaCommand(LabProbe.class));
    cmd.addAll(args);
    if (!jobs.isEmpty()) {
      cmd.addAll(List.of("--jobs", "-"));
    }
    String input = jobs.isEmpty() ? null : String.join("\n", jobs) + "\n";
    Result r = run(cmd, input, timeout);
    if (r.timedOut) {
      throw new AssertionError("LabProbe in " + namespace + " did not finish within " + timeout
          + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err);
    }
    if (r.exit != 0) {
      throw new AssertionError("LabProbe in " + namespace + " exited with " + r.exit + "\nstdout:\n"
          + r.out + "\nstderr:\n" + r.err);
    }
    keep(namespace, cmd, r);
    return ProbeRun.of(namespace, r.out, r.err);
  }

  private static final AtomicInteger RUNS = new AtomicInteger();

  /** Keeps a probe's output in target/lab-probes/ for whoever reads a failed build. */
  private void keep(String namespace, List<String> cmd, Result r) {
    Path dir = Path.of("target");
    if (!Files.isDirectory(dir)) {
      return;
    }
    try {
      dir = Files.createDirectories(dir.resolve("lab-probes"));
      Files.writeString(dir.resolve(namespace + "-" + RUNS.incrementAndGet() + ".txt"),
          "# " + String.join(" ", cmd) + "\n" + r.out + (r.err.isEmpty() ? "" : "# stderr:\n" + r.err));
    } catch (IOException e) {
      // only a convenience
    }
  }

  /** {@link #probe} on a thread of its own, to run probes in several namespaces at once. */
  public CompletableFuture<ProbeRun> probeAsync(String namespace, List<String> args,
      List<String> jobs, Duration timeout) {
    return probeAsync(namespace, args, jobs, timeout, false);
  }

  /** {@link #probe(String, List, List, Duration, boolean)} on a thread of its own. */
  public CompletableFuture<ProbeRun> probeAsync(String namespace, List<String> args,
      List<String> jobs, Duration timeout, boolean unprivileged) {
    CompletableFuture<ProbeRun> f = new CompletableFuture<>();
    Thread.ofPlatform().name("lab-probe-" + namespace).daemon().start(() -> {
      try {
        f.complete(probe(namespace, args, jobs, timeout, unprivileged));
      } catch (Throwable t) {
        f.completeExceptionally(t);
      }
    });
    return f;
  }

  /** The results of one {@link LabProbe} run, by id. */
  public record ProbeRun(String namespace, Map<String, ProbeLine> results, List<String> info,
      String stdout, String stderr) {

    static ProbeRun of(String namespace, String out, String err) {
      Map<String, ProbeLine> results = new LinkedHashMap<>();
      List<String> info = new ArrayList<>();
      for (String line : out.split("\n")) {
        if (line.startsWith("RESULT ")) {
          ProbeLine p = ProbeLine.parse(line);
          results.put(p.id(), p);
        } else if (line.startsWith("INFO ") || line.startsWith("WARMUP ")) {
          info.add(line);
        }
      }
      return new ProbeRun(namespace, Map.copyOf(results), List.copyOf(info), out, err);
    }

    /** The result with this id. */
    public ProbeLine get(String id) {
      ProbeLine p = results.get(id);
      if (p == null) {
        throw new AssertionError("no result '" + id + "' from LabProbe in " + namespace
            + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr);
      }
      return p;
    }

    /** The value of {@code key} on the INFO line of {@code phase} (before, after). */
    public String info(String phase, String key) {
      for (String l : info) {
        if (l.startsWith("INFO ") && l.contains(" phase=" + phase + " ")) {
          for (String t : l.split(" ")) {
            if (t.startsWith(key + "=")) {
              return t.substring(key.length() + 1);
            }
          }
        }
      }
      throw new AssertionError("no INFO " + key + " for phase " + phase + " in\n" + stdout);
    }
  }

  /** Removes the lab: kills the listeners and everything else in its namespaces. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
    stopServer();
    Result r = run(List.of(script.toString(), "down", prefix), null, SCRIPT_TIMEOUT);
    if (r.exit != 0) {
      throw new IllegalStateException("lab.sh down " + prefix + " failed:\n" + r.out + r.err);
    }
    Result list = run(List.of("ip", "netns", "list"), null, Duration.ofSeconds(10));
    for (String line : list.out.split("\n")) {
      String name = line.strip().split(" ")[0];
      if (List.of(client(), shortSynClient(), router(), server()).contains(name)) {
        throw new IllegalStateException("namespace left after lab.sh down: " + line);
      }
    }
  }

  private synchronized void downQuietly() {
    if (closed) {
      return;
    }
    closed = true;
    stopServer();
    run(List.of(script.toString(), "down", prefix), null, SCRIPT_TIMEOUT);
  }

  // ---- internals ----

  private void script(String command, String... options) {
    List<String> cmd = new ArrayList<>(List.of(script.toString(), command, prefix));
    cmd.addAll(List.of(options));
    Result r = run(cmd, null, SCRIPT_TIMEOUT);
    if (r.exit != 0 || r.timedOut) {
      throw new IllegalStateException("lab.sh " + command + " " + prefix + " failed (exit "
          + r.exit + "):\n" + r.out + r.err);
    }
  }

  private void startServer(int... ports) {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", server()));
    cmd.addAll(javaCommand(LabServer.class));
    for (int p : ports) {
      cmd.add(Integer.toString(p));
    }
    try {
      server = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the lab's listeners", e);
    }
    CompletableFuture<String> ready = new CompletableFuture<>();
    Process p = server;
    Thread.ofPlatform().name("lab-server-" + prefix).daemon().start(() -> {
      StringBuilder seen = new StringBuilder();
      try (InputStream in = p.getInputStream()) {
        var reader = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        while ((line = reader.readLine()) != null) {
          if (line.startsWith("READY")) {
            ready.complete(line);
          } else {
            seen.append(line).append('\n');
          }
        }
      } catch (IOException ignored) {
        // the server went away
      }
      ready.completeExceptionally(new IllegalStateException("LabServer ended: " + seen));
    });
    try {
      ready.get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("the lab's listeners did not start in " + server(), e);
    }
  }

  private void stopServer() {
    Process p = server;
    server = null;
    if (p == null) {
      return;
    }
    try {
      p.getOutputStream().close(); // LabServer exits when its input ends
      if (!p.waitFor(3, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(3, TimeUnit.SECONDS);
      }
    } catch (IOException | InterruptedException e) {
      p.destroyForcibly();
    }
  }

  /** Runs what follows as user and group 65534 with no supplementary groups (util-linux). */
  static final List<String> UNPRIVILEGED = List.of("setpriv", "--reuid=65534", "--regid=65534",
      "--clear-groups", "--inh-caps=-all", "--");

  /** {@code java ... MAIN} with the flags tcpdial needs and this build's classes. */
  static List<String> javaCommand(Class<?> main) {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp = location(LabProbe.class) + java.io.File.pathSeparator + location(Dialer.class);
    return List.of(javaBin, "-cp", cp,
        "--enable-native-access=ALL-UNNAMED",
        "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
        "-Djava.net.preferIPv6Addresses=system", // keep the resolver's order (IPv6 first here)
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
        main.getName());
  }

  private static String location(Class<?> c) {
    try {
      return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Path findScript() {
    return labDir().resolve("lab.sh");
  }

  /** The repository's {@code lab} directory: found from the working directory upwards. */
  public static Path labDir() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path d = dir; d != null; d = d.getParent()) {
      Path p = d.resolve("lab").resolve("lab.sh");
      if (Files.isRegularFile(p)) {
        return p.getParent();
      }
    }
    throw new IllegalStateException("lab/lab.sh not found in " + dir + " or above");
  }

  static long effectiveUid() {
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

  static Path onPath(String command) {
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
    for (String dir : path.split(":")) {
      if (!dir.isEmpty()) {
        Path p = Path.of(dir, command);
        if (Files.isExecutable(p)) {
          return p;
        }
      }
    }
    return null;
  }

  record Result(int exit, String out, String err, boolean timedOut) {}

  static Result run(List<String> cmd, String input, Duration timeout) {
    Process p;
    try {
      p = new ProcessBuilder(cmd).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + cmd, e);
    }
    CompletableFuture<String> out = drain(p.getInputStream());
    CompletableFuture<String> err = drain(p.getErrorStream());
    try (OutputStream in = p.getOutputStream()) {
      if (input != null) {
        in.write(input.getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      // the process did not read its input; its output says why
    }
    boolean done;
    try {
      done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!done) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
      return new Result(done ? p.exitValue() : -1, out.get(5, TimeUnit.SECONDS),
          err.get(5, TimeUnit.SECONDS), !done);
    } catch (Exception e) {
      p.destroyForcibly();
      throw new IllegalStateException("running " + cmd + ": " + e, e);
    }
  }

  private static CompletableFuture<String> drain(InputStream in) {
    CompletableFuture<String> f = new CompletableFuture<>();
    Thread.ofPlatform().daemon().start(() -> {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      try (in) {
        in.transferTo(buf);
      } catch (IOException ignored) {
        // process killed
      }
      f.complete(buf.toString(StandardCharsets.UTF_8));
    });
    return f;
  }
}
