package dev.tcpdial.bench;

import dev.tcpdial.Dialer;
import dev.tcpdial.Engine;
import dev.tcpdial.Mode;
import dev.tcpdial.Target;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The load generator of {@code bench/run serve}, loopback only:
 *
 * <pre>
 *   listen SECONDS                     accept-and-close listener on 127.0.0.1; prints its port
 *   hold SECONDS                       a listener that accepts and never answers (a TLS probe
 *                                      then waits in its handshake); prints its port
 *   load PORT PATH CONNS SECONDS       keep-alive GETs from CONNS connections; rps and latency
 *   inflight PORT PATH N SECONDS       N connections send one GET each and wait SECONDS; prints
 *                                      how many were answered by then
 *   bare HOST:PORT SECONDS             Dialer.probe in a loop, as serve dials; latency
 *   hold SECONDS                       a silent listener on 127.0.0.1 (accept queue kept full, so
 *                                      the kernel drops every new SYN); prints its port
 *   burst PORT PATH N                  N GETs at once, one connection each; waits for every
 *                                      answer (at most 60 s); counts 200s
 * </pre>
 *
 * Every loop ends by itself after SECONDS.
 */
public final class ServeLoad {
  private ServeLoad() {}

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "listen" -> listen(Integer.parseInt(args[1]));
      case "load" -> load(Integer.parseInt(args[1]), args[2], Integer.parseInt(args[3]),
          Integer.parseInt(args[4]));
      case "bare" -> bare(args[1], Integer.parseInt(args[2]));
      case "hold" -> hold(Integer.parseInt(args[1]));
      case "mute" -> mute(Integer.parseInt(args[1]));
      case "inflight" -> inflight(Integer.parseInt(args[1]), args[2], Integer.parseInt(args[3]),
          Integer.parseInt(args[4]));
      case "burst" -> burst(Integer.parseInt(args[1]), args[2], Integer.parseInt(args[3]));
      default -> throw new IllegalArgumentException(
          "listen | load | bare | hold | mute | inflight | burst");
    }
  }

  static void listen(int seconds) throws Exception {
    ServerSocket s = new ServerSocket(0, 4096, InetAddress.getByName("127.0.0.1"));
    System.out.println(s.getLocalPort());
    System.out.flush();
    Thread.ofPlatform().daemon().start(() -> {
      while (true) {
        try {
          s.accept().close();
        } catch (IOException e) {
          return;
        }
      }
    });
    Thread.sleep(seconds * 1000L);
    s.close();
  }

  /** A listener that accepts and never reads or answers: a TLS probe waits in its handshake. */
  static void mute(int seconds) throws Exception {
    ServerSocket s = new ServerSocket(0, 4096, InetAddress.getByName("127.0.0.1"));
    System.out.println(s.getLocalPort());
    System.out.flush();
    List<Socket> held = java.util.Collections.synchronizedList(new ArrayList<>());
    Thread.ofPlatform().daemon().start(() -> {
      while (true) {
        try {
          held.add(s.accept()); // never read, never answered: closed when the process ends
        } catch (IOException e) {
          return;
        }
      }
    });
    Thread.sleep(seconds * 1000L);
    s.close();
  }

  static void inflight(int port, String path, int n, int seconds) throws Exception {
    byte[] req = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "X-Prometheus-Scrape-Timeout-Seconds: 30\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    List<Socket> socks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Socket s = new Socket("127.0.0.1", port);
      s.getOutputStream().write(req);
      socks.add(s);
    }
    Thread.sleep(seconds * 1000L);
    int answered = 0;
    for (Socket s : socks) {
      if (s.getInputStream().available() > 0) {
        answered++;
      }
      s.close();
    }
    System.out.printf(java.util.Locale.ROOT, "sent=%d answered=%d%n", n, answered);
  }

  /**
   * A listener that never accepts, its accept queue filled by connections of its own: the kernel
   * drops every later SYN (Linux drops a SYN when the accept queue is full), so a connect to it
   * stays in SYN_SENT until its deadline, as to a silent host, with no namespace and no firewall.
   */
  static void hold(int seconds) throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      List<SocketChannel> fill = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        SocketChannel c = SocketChannel.open();
        c.configureBlocking(false);
        c.connect(s.getLocalSocketAddress());
        fill.add(c);
      }
      Thread.sleep(300);
      System.out.println(s.getLocalPort());
      System.out.flush();
      Thread.sleep(seconds * 1000L);
      for (SocketChannel c : fill) {
        c.close();
      }
    }
  }

  /**
   * {@code n} requests at once, each on a connection of its own (virtual threads: the client's
   * own footprint is not what is measured); returns when every answer is in, or after 60 s.
   */
  static void burst(int port, String path, int n) throws Exception {
    AtomicLong ok = new AtomicLong();
    AtomicLong bad = new AtomicLong();
    byte[] req = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "X-Prometheus-Scrape-Timeout-Seconds: 30\r\nConnection: close\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    long t0 = System.nanoTime();
    List<Thread> ts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ts.add(Thread.ofVirtual().start(() -> {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
          s.setSoTimeout(60_000);
          s.getOutputStream().write(req);
          InputStream in = new BufferedInputStream(s.getInputStream(), 4096);
          (readResponse(in) == 200 ? ok : bad).incrementAndGet();
        } catch (IOException | RuntimeException e) {
          bad.incrementAndGet();
        }
      }));
    }
    for (Thread t : ts) {
      t.join(Duration.ofSeconds(61));
    }
    System.out.printf(java.util.Locale.ROOT, "ok=%d errors=%d seconds=%.1f%n", ok.get(), bad.get(),
        (System.nanoTime() - t0) / 1e9);
  }

  static void load(int port, String path, int conns, int seconds) throws Exception {
    Recorder rec = new Recorder(3);
    AtomicLong ok = new AtomicLong();
    AtomicLong bad = new AtomicLong();
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    byte[] req = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "X-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    List<Thread> ts = new ArrayList<>();
    for (int i = 0; i < conns; i++) {
      ts.add(Thread.ofPlatform().start(() -> {
        try (Socket s = new Socket("127.0.0.1", port)) {
          s.setTcpNoDelay(true);
          OutputStream out = s.getOutputStream();
          InputStream in = new java.io.BufferedInputStream(s.getInputStream(), 16384);
          while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            out.write(req);
            int status = readResponse(in);
            rec.recordValue((System.nanoTime() - t0) / 1000);
            (status == 200 ? ok : bad).incrementAndGet();
          }
        } catch (IOException e) {
          bad.incrementAndGet();
        }
      }));
    }
    for (Thread t : ts) {
      t.join();
    }
    Histogram h = rec.getIntervalHistogram();
    System.out.printf(java.util.Locale.ROOT, "rps=%.0f p50_us=%d p99_us=%d ok=%d errors=%d%n",
        ok.get() / (double) seconds, h.getValueAtPercentile(50), h.getValueAtPercentile(99),
        ok.get(), bad.get());
  }

  // status line, headers (Content-Length), body; returns the status
  private static int readResponse(InputStream in) throws IOException {
    String status = line(in);
    int len = -1;
    for (String h = line(in); !h.isEmpty(); h = line(in)) {
      int c = h.indexOf(':');
      if (c > 0 && h.substring(0, c).equalsIgnoreCase("content-length")) {
        len = Integer.parseInt(h.substring(c + 1).strip());
      }
    }
    if (len < 0) {
      throw new IOException("no Content-Length");
    }
    in.skipNBytes(len);
    return Integer.parseInt(status.substring(9, 12));
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new IOException("closed");
      }
      if (c != '\r') {
        b.append((char) c);
      }
    }
    return b.toString();
  }

  static void bare(String target, int seconds) {
    Target t = Target.parse(target);
    Histogram h = new Histogram(3);
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    long n = 0;
    while (System.nanoTime() < end) {
      long t0 = System.nanoTime();
      // as serve dials: one dialer per probe, blocking mode, the JDK engine
      try (Dialer d = Dialer.builder().mode(Mode.SYNC).engine(Engine.JDK)
          .deadline(Duration.ofSeconds(5)).connectTimeout(Duration.ofSeconds(5)).build()) {
        d.probe(t);
      }
      h.recordValue((System.nanoTime() - t0) / 1000);
      n++;
    }
    System.out.printf(java.util.Locale.ROOT, "rps=%.0f p50_us=%d p99_us=%d ok=%d errors=0%n",
        n / (double) seconds, h.getValueAtPercentile(50), h.getValueAtPercentile(99), n);
  }
}
