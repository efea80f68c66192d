package dev.tcpdial.exporter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A network namespace of a test's own (named with the JVM's pid, so parallel runs do not
 * collide) with only its loopback up, a hosts file naming {@code server.test} and {@code
 * other.test} as 127.0.0.1 and no name server; the servers a test starts there; everything
 * stopped and removed by {@link #close}, also after a failure.
 */
final class PeerLab implements AutoCloseable {
  final String ns;
  final Path dir;
  private final Path etc;
  private final List<Process> processes = new ArrayList<>();

  PeerLab(String prefix, Path dir) throws Exception {
    this.ns = prefix + ProcessHandle.current().pid();
    this.dir = dir;
    this.etc = Path.of("/etc/netns", ns);
    run(List.of("ip", "netns", "del", ns), 10); // left by a killed run of this pid
    must("ip", "netns", "add", ns);
    must("ip", "-n", ns, "link", "set", "lo", "up");
    Files.createDirectories(etc);
    Files.writeString(etc.resolve("hosts"), "127.0.0.1 localhost server.test other.test\n");
    Files.writeString(etc.resolve("resolv.conf"), "nameserver 127.0.0.1\n");
  }

  static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }

  /** Runs {@code cmd}, at most {@code seconds}; returns exit code and output. */
  static Map.Entry<Integer, String> run(List<String> cmd, int seconds) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    Future<byte[]> out = Executors.newVirtualThreadPerTaskExecutor().submit(
        () -> p.getInputStream().readAllBytes());
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      return Map.entry(-1, "timed out: " + cmd);
    }
    return Map.entry(p.exitValue(), new String(out.get(), StandardCharsets.UTF_8));
  }

  static void must(String... cmd) throws Exception {
    Map.Entry<Integer, String> r = run(List.of(cmd), 60);
    if (r.getKey() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + ": " + r.getValue());
    }
  }

  /** {@code cmd} in the namespace. */
  List<String> in(String... cmd) {
    List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    c.addAll(List.of(cmd));
    return c;
  }

  /** Starts {@code cmd} in the namespace, its output to {@code name}.log; stdin stays open. */
  Process start(String name, List<String> cmd, Map<String, String> env) throws IOException {
    List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    c.addAll(cmd);
    ProcessBuilder b = new ProcessBuilder(c).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile());
    b.environment().putAll(env);
    Process p = b.start();
    processes.add(p);
    return p;
  }

  /** Waits until something listens on 127.0.0.1:{@code port} in the namespace. */
  void awaitPort(int port, String name) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < end) {
      if (run(in("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + port), 5).getKey() == 0) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(name + " does not listen on " + port + "; log: "
        + (Files.exists(dir.resolve(name + ".log"))
            ? Files.readString(dir.resolve(name + ".log")) : "-"));
  }

  /** GET /probe from an exporter on {@code port} in the namespace: the body. */
  String probe(int port, String module, String target, double scrapeTimeout) throws Exception {
    Map.Entry<Integer, String> r = run(in("curl", "-s", "-m", "30", "-H",
        "X-Prometheus-Scrape-Timeout-Seconds: " + scrapeTimeout,
        "http://127.0.0.1:" + port + "/probe?module=" + module + "&target=" + target), 40);
    return r.getValue();
  }

  /** Series (name and labels as written) to value, from a text exposition. */
  static Map<String, Double> series(String text) {
    Map<String, Double> out = new TreeMap<>();
    Matcher m = Pattern.compile("(?m)^([a-z_]+(?:\\{.*\\})?) (\\S+)$").matcher(text);
    while (m.find()) {
      out.put(m.group(1), Double.parseDouble(m.group(2)));
    }
    return out;
  }

  @Override
  public void close() throws Exception {
    for (Process p : processes) {
      p.getOutputStream().close();
      p.destroy();
    }
    for (Process p : processes) {
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
    // daemons that went to the background (pg_ctl's postmaster, dovecot's children)
    Map.Entry<Integer, String> pids = run(List.of("ip", "netns", "pids", ns), 10);
    for (String pid : pids.getValue().split("\\s+")) {
      if (pid.matches("\\d+")) {
        run(List.of("kill", "-9", pid), 5);
      }
    }
    run(List.of("ip", "netns", "del", ns), 30);
    run(List.of("rm", "-rf", etc.toString()), 10);
  }
}
