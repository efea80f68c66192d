package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tcpdial.cli.targets.Loopback;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 22 item 1, as it was found: {@code tcpdial serve} with its default limits under a
 * descriptor limit of 1,024, a module without a timeout, 240 clients asking for probes of a silent
 * target with {@code X-Prometheus-Scrape-Timeout-Seconds: 1e9}, and 300 more connections that
 * send nothing. {@code /metrics} and {@code /-/healthy} must answer within a second meanwhile;
 * when the 240 clients hang up, their probes end within a second and the descriptors come back.
 * (Before: {@code --max-connections} defaulted to the same quarter of the descriptors as {@code
 * --max-concurrent}, the probes' connections filled it, new ones were closed as they came, and the
 * probes ran to their deadline of 999,999,999.5 s.)
 */
class ServeCapacityTest {
  static final int PROBES = 240;
  static final int SILENT = 300;
  static final long BOUND_MS = 1000;

  @TempDir
  Path dir;

  @Test
  void slowProbesAndSilentConnectionsLeaveMetricsAndHealthAnswering() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/prlimit")),
        "needs prlimit (util-linux) to give serve a descriptor limit of 1,024");
    Path yml = dir.resolve("serve.yml");
    Files.writeString(yml, "modules:\n  untimed:\n    prober: tcp\n");
    List<String> cmd = new ArrayList<>(List.of("prlimit", "--nofile=1024:1024"));
    cmd.addAll(ServeProcessTest.cmd("--web.listen-address", "127.0.0.1:0", "--config",
        yml.toString(), "--max-concurrent", Integer.toString(PROBES)));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    List<Socket> probes = new ArrayList<>();
    List<Socket> silent = new ArrayList<>();
    try (Loopback.FullBacklog target = new Loopback.FullBacklog()) {
      BufferedReader err = new BufferedReader(new InputStreamReader(p.getInputStream(),
          StandardCharsets.UTF_8));
      String first = err.readLine();
      Matcher m = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher(String.valueOf(first));
      assertThat(m.find()).as(first).isTrue();
      Thread.ofPlatform().daemon().start(() -> {
        try {
          err.transferTo(java.io.Writer.nullWriter());
        } catch (IOException e) {
          // ended
        }
      });
      InetSocketAddress to = new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1)));
      assertThat(get(to, "/-/healthy")[0]).isEqualTo("200");
      long fdsBefore = fds(p.pid());
      byte[] ask = ("GET /probe?module=untimed&target=127.0.0.1:" + target.port()
          + " HTTP/1.1\r\nHost: x\r\nX-Prometheus-Scrape-Timeout-Seconds: 1e9\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1);
      for (int i = 0; i < PROBES; i++) {
        Socket s = new Socket();
        s.connect(to, 5000);
        probes.add(s);
        s.getOutputStream().write(ask);
      }
      for (int i = 0; i < SILENT; i++) {
        Socket s = new Socket();
        s.connect(to, 5000);
        silent.add(s);
      }
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      double inFlight = 0;
      while (System.nanoTime() < end) {
        String[] r = get(to, "/metrics");
        if (r[0].equals("200")) {
          inFlight = ServeProcessTest.value(r[1], "tcpdial_probes_in_flight");
          if (inFlight == PROBES) {
            break;
          }
        }
        Thread.sleep(100);
      }
      assertThat(inFlight).as("probes in flight").isEqualTo(PROBES);
      long worstMetrics = 0;
      long worstHealthy = 0;
      for (int i = 0; i < 20; i++) {
        long t0 = System.nanoTime();
        String[] r = get(to, "/metrics");
        worstMetrics = Math.max(worstMetrics, (System.nanoTime() - t0) / 1_000_000);
        assertThat(r[0]).as("/metrics during the load").isEqualTo("200");
        assertThat(r[1]).contains("tcpdial_probes_in_flight " + PROBES);
        t0 = System.nanoTime();
        r = get(to, "/-/healthy");
        worstHealthy = Math.max(worstHealthy, (System.nanoTime() - t0) / 1_000_000);
        assertThat(r[0]).as("/-/healthy during the load").isEqualTo("200");
        Thread.sleep(50);
      }
      long during = fds(p.pid());
      long t0 = System.nanoTime();
      for (Socket s : probes) {
        s.close();
      }
      double left = PROBES;
      while (System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5)) {
        String[] r = get(to, "/metrics");
        left = ServeProcessTest.value(r[1], "tcpdial_probes_in_flight");
        if (left == 0) {
          break;
        }
        Thread.sleep(20);
      }
      long cancelMs = (System.nanoTime() - t0) / 1_000_000;
      String metrics = get(to, "/metrics")[1];
      for (Socket s : silent) {
        s.close();
      }
      long fdsAfter = fdsBefore;
      long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (System.nanoTime() < settle) {
        fdsAfter = fds(p.pid());
        if (fdsAfter <= fdsBefore + 2) {
          break;
        }
        Thread.sleep(100);
      }
      System.out.printf(Locale.ROOT, "serve capacity: %d probes of a silent target (header 1e9)"
          + " + %d silent connections, descriptor limit 1024: /metrics worst %d ms, /-/healthy"
          + " worst %d ms; clients hung up: probes in flight %d -> 0 in %d ms; descriptors %d"
          + " before, %d during, %d after%n", PROBES, SILENT, worstMetrics, worstHealthy, PROBES,
          cancelMs, fdsBefore, during, fdsAfter);
      assertThat(worstMetrics).as("worst /metrics ms").isLessThan(BOUND_MS);
      assertThat(worstHealthy).as("worst /-/healthy ms").isLessThan(BOUND_MS);
      assertThat(left).as("probes in flight after their clients hung up").isZero();
      assertThat(cancelMs).as("ms until every probe ended").isLessThan(1500);
      assertThat(ServeProcessTest.value(metrics,
          "tcpdial_probes_total{module=\"untimed\",outcome=\"cancelled\"}")).isEqualTo(PROBES);
      assertThat(fdsAfter).isLessThanOrEqualTo(fdsBefore + 2);
    } finally {
      for (Socket s : probes) {
        s.close();
      }
      for (Socket s : silent) {
        s.close();
      }
      p.toHandle().destroy();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
  }

  /** GET on a new connection, within 5 s: status and body ("-" when it was closed unanswered). */
  static String[] get(InetSocketAddress to, String path) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(to, 5000);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = s.getInputStream();
      String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      if (all.length() < 12) {
        return new String[] {"-", ""};
      }
      int body = all.indexOf("\r\n\r\n");
      return new String[] {all.substring(9, 12), body < 0 ? "" : all.substring(body + 4)};
    } catch (java.net.SocketException e) {
      return new String[] {"-", ""};
    }
  }

  static long fds(long pid) throws IOException {
    try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return s.count();
    }
  }
}
