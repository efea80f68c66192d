package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.cli.targets.Loopback;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Faults from the exporter's clients, against {@code tcpdial serve} as its own process (its
 * descriptors and threads counted in {@code /proc}): clients that hang up mid-probe (their probes
 * are cancelled at once), and a
 * slowloris attack of slow and silent connections while normal scrapes go on. The flood past
 * {@code --max-concurrent} is {@code dev.tcpdial.exporter.ServeTest#pastMaxConcurrentCounted503sAndNoDescriptorLeft}.
 * Sizes can be raised for a longer run ({@code -Dserve.faults.slow=N}, {@code
 * -Dserve.faults.rounds=N}); RELIABILITY.md has the figures.
 */
class ServeFaultsTest {
  static final int REQUEST_TIMEOUT_S = 2;
  static final int SLOW = Integer.getInteger("serve.faults.slow", 400);
  static final int SILENT = Integer.getInteger("serve.faults.silent", 100);
  static final int HANG_UPS = 50;

  static Process exporter;
  static long pid;
  static String base;
  static HttpClient http;
  static Loopback.Open open;

  @BeforeAll
  static void start() throws Exception {
    exporter = new ProcessBuilder(ServeProcessTest.cmd("--listen", "127.0.0.1:0",
        "--request-timeout", REQUEST_TIMEOUT_S + "s", "--max-connections",
        Integer.toString(SLOW + SILENT + 500),
        "--max-concurrent", "200")).redirectErrorStream(true).start();
    pid = exporter.pid();
    BufferedReader err = new BufferedReader(new InputStreamReader(exporter.getInputStream(),
        StandardCharsets.UTF_8));
    String first = err.readLine();
    Matcher m = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher(String.valueOf(first));
    assertThat(m.find()).as(first).isTrue();
    assertThat(first).contains("max connections " + (SLOW + SILENT + 500) + ", request timeout 2s");
    base = "http://127.0.0.1:" + m.group(1);
    Thread.ofPlatform().daemon().start(() -> {
      try {
        err.transferTo(java.io.Writer.nullWriter()); // keep its stderr from filling up
      } catch (IOException e) {
        // ended
      }
    });
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    open = new Loopback.Open();
  }

  @AfterAll
  static void stop() throws Exception {
    if (exporter != null) {
      exporter.destroy();
      if (!exporter.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        exporter.destroyForcibly();
      }
    }
    if (http != null) {
      http.close();
    }
    if (open != null) {
      open.close();
    }
  }

  static HttpResponse<String> get(String pathAndQuery) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + pathAndQuery))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static long fds() throws IOException {
    try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return s.count();
    }
  }

  static long threads() throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (l.startsWith("Threads:")) {
        return Long.parseLong(l.substring(8).strip());
      }
    }
    throw new IOException("no Threads: line");
  }

  static double metric(String series) throws Exception {
    return ServeProcessTest.value(get("/metrics").body(), series);
  }

  /** A /probe and a /metrics answer, each in time: the exporter keeps serving. */
  static long serveNormally(long boundMs) throws Exception {
    long t0 = System.nanoTime();
    HttpResponse<String> p = get("/probe?target=127.0.0.1:" + open.port());
    assertThat(p.statusCode()).isEqualTo(200);
    assertThat(ServeProcessTest.value(p.body(), "probe_success")).isEqualTo(1.0);
    HttpResponse<String> m = get("/metrics");
    assertThat(m.statusCode()).isEqualTo(200);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(ms).as("a /probe and a /metrics answered in %d ms", ms).isLessThan(boundMs);
    return ms;
  }

  /** Waits (bounded) for the exporter's descriptors to come back to {@code baseline}. */
  static long settle(long baseline, long slack) throws Exception {
    long end = System.nanoTime() + 8_000_000_000L;
    long now = fds();
    while (now > baseline + slack && System.nanoTime() < end) {
      Thread.sleep(100);
      now = fds();
    }
    return now;
  }

  @Test
  void clientsThatHangUpMidProbeLeaveNothingBehind() throws Exception {
    serveNormally(5000);
    long baseline = fds();
    double cancelledBefore = metricOrZero(
        "tcpdial_probes_total{module=\"tcp_connect\",outcome=\"cancelled\"}");
    try (Loopback.FullBacklog silent = new Loopback.FullBacklog()) {
      List<Socket> clients = new ArrayList<>();
      long hungUp;
      try {
        for (int i = 0; i < HANG_UPS; i++) {
          Socket s = new Socket("127.0.0.1", Integer.parseInt(base.substring(base.lastIndexOf(':') + 1)));
          clients.add(s);
          s.getOutputStream().write(("GET /probe?module=tcp_connect&target=127.0.0.1:"
              + silent.port() + " HTTP/1.1\r\nHost: x\r\nX-Prometheus-Scrape-Timeout-Seconds: 3.5"
              + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        }
        long end = System.nanoTime() + 5_000_000_000L;
        while (metric("tcpdial_probes_in_flight") < HANG_UPS && System.nanoTime() < end) {
          Thread.sleep(50);
        }
        assertThat(metric("tcpdial_probes_in_flight")).isEqualTo(HANG_UPS);
      } finally {
        for (Socket s : clients) {
          s.close(); // gone before the answer
        }
        hungUp = System.nanoTime();
      }
      long during = fds();
      // the server sees each client leave and cancels its probe: all end long before their
      // deadline (3.5 s - 0.5 s offset)
      long end = System.nanoTime() + 10_000_000_000L;
      while (metric("tcpdial_probes_in_flight") > 0 && System.nanoTime() < end) {
        Thread.sleep(20);
      }
      long doneMs = (System.nanoTime() - hungUp) / 1_000_000;
      assertThat(metric("tcpdial_probes_in_flight")).isZero();
      assertThat(doneMs).as("ms from the hang-ups to the last probe's end").isLessThan(1000);
      assertThat(metric("tcpdial_probes_total{module=\"tcp_connect\",outcome=\"cancelled\"}")
          - cancelledBefore).isEqualTo(HANG_UPS);
      serveNormally(2000);
      long after = settle(baseline, 2);
      System.out.printf(Locale.ROOT, "serve faults: %d clients hung up mid-probe: descriptors"
          + " %d before, %d during, %d after; every probe cancelled %d ms after the hang-ups%n",
          HANG_UPS, baseline, during, after, doneMs);
      assertThat(after).isLessThanOrEqualTo(baseline + 2);
    }
    serveNormally(2000);
  }

  static double metricOrZero(String series) throws Exception {
    String body = get("/metrics").body();
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(body);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  @Test
  void slowlorisIsCutOffAndScrapesGoOn() throws Exception {
    serveNormally(5000);
    long baselineFds = fds();
    long baselineThreads = threads();
    InetSocketAddress to = new InetSocketAddress("127.0.0.1",
        Integer.parseInt(base.substring(base.lastIndexOf(':') + 1)));
    byte[] request = "GET /metrics HTTP/1.1\r\nHost: x\r\nUser-Agent: slow\r\n\r\n"
        .getBytes(StandardCharsets.ISO_8859_1);
    // slots 0..SLOW-1 send a byte a second and never a whole request; the rest send nothing;
    // a connection the exporter closes is opened again at once while the attack lasts
    int n = SLOW + SILENT;
    SocketChannel[] conns = new SocketChannel[n];
    long[] openedAt = new long[n];
    int[] sent = new int[n];
    long longestMs = 0;
    long closed = 0;
    long peakFds = 0;
    long peakThreads = 0;
    long worstNormalMs = 0;
    long longestTickMs = 0; // a round over every connection: how late a close may be seen here
    int normal = 0;
    long t0 = System.nanoTime();
    int rounds = Integer.getInteger("serve.faults.rounds", REQUEST_TIMEOUT_S + 4);
    try {
      ByteBuffer sink = ByteBuffer.allocate(4096);
      for (int tick = 0; tick < rounds * 4; tick++) {
        long now = (System.nanoTime() - t0) / 1_000_000;
        for (int i = 0; i < n; i++) {
          if (conns[i] == null) {
            conns[i] = SocketChannel.open(to);
            conns[i].configureBlocking(false);
            openedAt[i] = now;
            sent[i] = 0;
          }
          SocketChannel c = conns[i];
          boolean gone;
          try {
            sink.clear();
            gone = c.read(sink) < 0;
            if (!gone && i < SLOW && tick % 4 == 0 && sent[i] < request.length - 1) {
              c.write(ByteBuffer.wrap(request, sent[i], 1));
              sent[i]++;
            }
          } catch (IOException e) {
            gone = true; // reset by the exporter
          }
          if (gone) {
            longestMs = Math.max(longestMs, now - openedAt[i]);
            closed++;
            c.close();
            conns[i] = null;
          }
        }
        peakFds = Math.max(peakFds, fds());
        peakThreads = Math.max(peakThreads, threads());
        worstNormalMs = Math.max(worstNormalMs, serveNormally(2000));
        normal++;
        long tickMs = (System.nanoTime() - t0) / 1_000_000 - now;
        longestTickMs = Math.max(longestTickMs, tickMs);
        Thread.sleep(Math.max(0, 250 - tickMs));
      }
    } finally {
      long now = (System.nanoTime() - t0) / 1_000_000;
      for (int i = 0; i < n; i++) {
        if (conns[i] != null) {
          // still open: its age counts too (none may outlive the bound)
          longestMs = Math.max(longestMs, now - openedAt[i]);
          conns[i].close();
        }
      }
    }
    long after = settle(baselineFds, 2);
    long attackMs = (System.nanoTime() - t0) / 1_000_000;
    System.out.printf(Locale.ROOT, "serve faults: slowloris %d slow + %d silent connections for"
        + " %d ms, request timeout %d s: %d closed by the exporter, none open longer than %d ms"
        + " (seen here up to %d ms late); %d normal /probe + /metrics pairs during it, worst %d"
        + " ms; descriptors %d before, peak %d, %d after; threads %d before, peak %d%n", SLOW,
        SILENT, attackMs, REQUEST_TIMEOUT_S, closed, longestMs, longestTickMs, normal,
        worstNormalMs, baselineFds, peakFds, after, baselineThreads, peakThreads);
    assertThat(closed).isGreaterThanOrEqualTo(n);
    // closed after the request timeout, checked each second, plus the one-second drip here and
    // however long a round over every connection took here
    assertThat(longestMs).isLessThan(REQUEST_TIMEOUT_S * 1000L + 2500 + longestTickMs);
    assertThat(peakThreads).isLessThan(baselineThreads + n + 50);
    assertThat(after).isLessThanOrEqualTo(baselineFds + 2);
  }
}
