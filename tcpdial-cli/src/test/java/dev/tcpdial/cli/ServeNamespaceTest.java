package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tcpdial serve inside network namespaces of its own (root): beside blackbox_exporter on a name
 * whose first address is silent, and every outcome of the lab through /probe. Every namespace,
 * hosts file and process is removed by the test, also when it fails.
 */
class ServeNamespaceTest {
  static final String BLACKBOX = "/usr/bin/prometheus-blackbox-exporter";

  @TempDir
  Path dir;

  static boolean root() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+")[2].equals("0");
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
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
    Map.Entry<Integer, String> r = run(List.of(cmd), 30);
    assertThat(r.getKey()).as("%s: %s", String.join(" ", cmd), r.getValue()).isZero();
  }

  static List<String> serve(String ns, String listen, Path config) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ArrayList<>(List.of("ip", "netns", "exec", ns, java,
        "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve",
        "--listen", listen, "--config", config.toString()));
  }

  static Process start(List<String> cmd, Path log) throws IOException {
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  static void stop(List<Process> ps) throws InterruptedException {
    for (Process p : ps) {
      p.destroy(); // SIGTERM: serve exits 0 within about 2 s
    }
    for (Process p : ps) {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
  }

  static void waitHealthy(String ns, String hostPort, Path log) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < end) {
      if (run(List.of("ip", "netns", "exec", ns, "curl", "-sf", "-o", "/dev/null",
          "http://" + hostPort + "/-/healthy"), 5).getKey() == 0) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no exporter on " + hostPort + " in " + ns + ": "
        + Files.readString(log));
  }

  /** {@code curl} inside {@code ns}: the body, then the total time on the last line. */
  static String probe(String ns, String hostPort, String query, String scrapeTimeout)
      throws Exception {
    return run(List.of("ip", "netns", "exec", ns, "curl", "-s", "-w", "\n%{time_total}\n",
        "-H", "X-Prometheus-Scrape-Timeout-Seconds: " + scrapeTimeout,
        "http://" + hostPort + "/probe?" + query), 30).getValue();
  }

  static double value(String body, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(body);
    assertThat(m.find()).as("series %s in%n%s", series, body).isTrue();
    return Double.parseDouble(m.group(1));
  }

  static double curlSeconds(String out) {
    String[] lines = out.strip().split("\n");
    return Double.parseDouble(lines[lines.length - 1]);
  }

  @Test
  void silentFirstAddressBlackboxTimesOutTcpdialConnectsAfterTheAttemptDelay() throws Exception {
    assumeTrue(root(), "needs root: a network namespace with its own hosts file");
    assumeTrue(Files.isExecutable(Path.of(BLACKBOX)),
        "needs Debian's prometheus-blackbox-exporter (scripts/setup-test-deps.sh)");
    String ns = "tdserve" + ThreadLocalRandom.current().nextInt(10000, 99999);
    Path etc = Path.of("/etc/netns", ns);
    List<Process> processes = new ArrayList<>();
    try {
      must("ip", "netns", "add", ns);
      must("ip", "-n", ns, "link", "set", "lo", "up");
      // fd00:77::2 never answers a SYN: its frames go, through a permanent neighbour entry, to a
      // MAC address nobody has, on a veth pair whose other end drops them
      must("ip", "-n", ns, "link", "add", "silent0", "type", "veth", "peer", "name", "silent1");
      must("ip", "-n", ns, "link", "set", "silent0", "up");
      must("ip", "-n", ns, "link", "set", "silent1", "up");
      must("ip", "-n", ns, "addr", "add", "fd00:77::1/64", "dev", "silent0", "nodad");
      must("ip", "-n", ns, "neigh", "add", "fd00:77::2", "lladdr", "02:00:00:00:77:02", "dev",
          "silent0", "nud", "permanent");
      must("ip", "-n", ns, "addr", "add", "198.18.78.1/32", "dev", "lo");
      Files.createDirectories(etc);
      Files.writeString(etc.resolve("hosts"), """
          127.0.0.1 localhost
          fd00:77::2 silentfirst.test
          198.18.78.1 silentfirst.test
          """);
      Files.writeString(etc.resolve("resolv.conf"), "nameserver 127.0.0.1\n");
      Path yml = dir.resolve("blackbox.yml");
      Files.writeString(yml, """
          modules:
            tcp_connect:
              prober: tcp
              timeout: 2s
          """);
      processes.add(start(serve(ns, "198.18.78.1:9115", yml), dir.resolve("serve.log")));
      processes.add(start(List.of("ip", "netns", "exec", ns, BLACKBOX, "--config.file=" + yml,
          "--web.listen-address=198.18.78.1:9116"), dir.resolve("blackbox.log")));
      waitHealthy(ns, "198.18.78.1:9115", dir.resolve("serve.log"));
      waitHealthy(ns, "198.18.78.1:9116", dir.resolve("blackbox.log"));
      String q = "module=tcp_connect&target=silentfirst.test:9115";
      probe(ns, "198.18.78.1:9115", q, "3"); // warm-up
      String ours = probe(ns, "198.18.78.1:9115", q, "3");
      String theirs = probe(ns, "198.18.78.1:9116", q, "3");
      System.out.printf("silent first address: tcpdial serve %.3f s (probe_duration_seconds %.3f),"
          + " blackbox_exporter %.3f s (probe_duration_seconds %.3f)%n", curlSeconds(ours),
          value(ours, "probe_duration_seconds"), curlSeconds(theirs),
          value(theirs, "probe_duration_seconds"));
      assertThat(value(theirs, "probe_success")).isEqualTo(0.0);
      assertThat(value(theirs, "probe_ip_protocol")).isEqualTo(6.0);
      assertThat(curlSeconds(theirs)).isBetween(1.9, 2.9); // its 2 s module timeout
      assertThat(value(ours, "probe_success")).isEqualTo(1.0);
      assertThat(value(ours, "probe_tcp_outcome{errno=\"\",outcome=\"connected\"}")).isEqualTo(1);
      assertThat(value(ours, "probe_tcp_attempts")).isEqualTo(2.0);
      assertThat(value(ours, "probe_ip_protocol")).isEqualTo(4.0);
      // the 250 ms attempt delay, then a loopback connect
      assertThat(value(ours, "probe_duration_seconds")).isBetween(0.25, 0.6);
    } finally {
      stop(processes);
      run(List.of("ip", "netns", "del", ns), 30);
      run(List.of("rm", "-rf", etc.toString()), 10);
    }
  }

  record Case(String ns, String target, String outcome, String errno, String options) {}

  @Test
  void everyLabOutcomeThroughProbe() throws Exception {
    assumeTrue(root(), "needs root: the network-namespace lab");
    Path lab = Path.of("..", "lab", "lab.sh").toAbsolutePath().normalize();
    Path list = lab.resolveSibling("demo-targets.txt");
    assumeTrue(Files.isRegularFile(lab) && Files.isRegularFile(list), "lab/lab.sh not found");
    List<Case> cases = new ArrayList<>();
    for (String line : Files.readAllLines(list)) {
      String[] f = line.strip().split("\\s+");
      if (line.isBlank() || line.startsWith("#") || f.length < 7) {
        continue;
      }
      cases.add(new Case(f[0], f[1], f[2], f[3].equals("-") ? "" : f[3], f[6]));
    }
    String prefix = "tdsv" + ThreadLocalRandom.current().nextInt(1000, 9999);
    List<Process> processes = new ArrayList<>();
    try {
      must("bash", lab.toString(), "up", prefix, "--owner",
          Long.toString(ProcessHandle.current().pid()));
      String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      must("bash", lab.toString(), "serve", prefix, javaBin, "--enable-native-access=ALL-UNNAMED",
          "-cp", System.getProperty("java.class.path"), Main.class.getName(), "demo", "--serve",
          "80");
      Path yml = dir.resolve("lab.yml");
      // lab: the lab's default dialer (no deadline of ours within 8 s);
      // lab_1s: connect-timeout=1000
      Files.writeString(yml, """
          modules:
            lab: {prober: tcp, timeout: 8s}
            lab_1s: {prober: tcp, timeout: 1s}
          """);
      for (String n : List.of("c", "k")) {
        processes.add(start(serve(prefix + n, "127.0.0.1:9115", yml), dir.resolve(n + ".log")));
      }
      for (String n : List.of("c", "k")) {
        waitHealthy(prefix + n, "127.0.0.1:9115", dir.resolve(n + ".log"));
      }
      ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
      Map<Case, Future<String>> answers = new HashMap<>();
      for (Case c : cases) {
        String module = c.options().contains("connect-timeout=1000") ? "lab_1s" : "lab";
        answers.put(c, pool.submit(() -> probe(prefix + c.ns(), "127.0.0.1:9115",
            "module=" + module + "&target=" + java.net.URLEncoder.encode(c.target(),
                StandardCharsets.UTF_8), "9")));
      }
      List<String> wrong = new ArrayList<>();
      for (Case c : cases) {
        String body = answers.get(c).get();
        String want = "probe_tcp_outcome{errno=\"" + c.errno() + "\",outcome=\"" + c.outcome()
            + "\"} 1";
        if (!body.contains(want)) {
          Matcher m = Pattern.compile("probe_tcp_outcome\\{[^}]*\\}").matcher(body);
          wrong.add(c.ns() + " " + c.target() + ": want " + c.outcome() + "/" + c.errno() + ", got "
              + (m.find() ? m.group() : body.strip()));
        } else {
          assertThat(value(body, "probe_success")).as(c.target())
              .isEqualTo(c.outcome().equals("connected") ? 1.0 : 0.0);
        }
      }
      pool.close();
      assertThat(wrong).as("%d lab cases through /probe", cases.size()).isEmpty();
      assertThat(cases).hasSizeGreaterThanOrEqualTo(25);
    } finally {
      stop(processes);
      run(List.of("bash", lab.toString(), "down", prefix), 60);
    }
  }
}
