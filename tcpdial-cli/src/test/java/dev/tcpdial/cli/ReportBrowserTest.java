package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.cli.targets.Loopback;
import java.io.BufferedReader;
import java.io.InputStreamReader;
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

/**
 * The HTML reports in a real browser: headless Chromium, inside a network namespace with only
 * {@code lo}, loads each page; the test reads the rendered DOM. The scans run inside that
 * namespace too, against listeners of ours. Pages and screenshots are kept in target/pictures.
 */
class ReportBrowserTest {
  static final Path OUT = PlotTerminalTest.OUT;

  private static List<Process> serve(Browser b, int... ports) throws Exception {
    List<Process> servers = new ArrayList<>();
    for (int port : ports) {
      Process p = new ProcessBuilder(b.inside(NamespaceScanTest.java("demo", "--serve",
          Integer.toString(port)))).redirectErrorStream(true).start();
      servers.add(p);
      String first = new BufferedReader(new InputStreamReader(p.getInputStream(),
          StandardCharsets.UTF_8)).readLine();
      assertThat(first).contains("listening on port " + port);
    }
    return servers;
  }

  private static void stop(List<Process> servers) throws Exception {
    for (Process p : servers) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Runs the CLI inside the namespace; its exit code. */
  private static int run(Browser b, String... args) throws Exception {
    Process p = new ProcessBuilder(b.inside(NamespaceScanTest.java(args)))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return p.exitValue();
  }

  static int count(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  /** The page asks for nothing: no src, no href, no url(), no import. */
  static void selfContained(String html) {
    assertThat(html).doesNotContain(" src=").doesNotContain(" href=").doesNotContain("url(")
        .doesNotContain("@import").contains("Content-Security-Policy");
    assertThat(html.replace("http://www.w3.org/2000/svg", "")).doesNotContain("http://")
        .doesNotContain("https://");
  }

  @Test
  void knownScanInItsOwnNamespace() throws Exception {
    String why = Browser.unavailable();
    assumeTrue(why == null, why);
    Files.createDirectories(OUT);
    Path html = OUT.resolve("scan-report.html").toAbsolutePath();
    Path expect = OUT.resolve("scan-expect.txt").toAbsolutePath();
    Files.writeString(expect, "127.0.0.1:22=open\n127.0.0.1:23=open\n");
    try (Browser b = Browser.open("s")) {
      List<Process> servers = serve(b, 22, 8080);
      int code;
      try {
        // relative paths: the page shows its command line as typed
        code = run(b, "scan", "127.0.0.1", "-p", "1-21,24-100,8080", "-f",
            OUT.resolve("scan-expect.txt").toString(), "--report",
            OUT.resolve("scan-report.html").toString(), "--no-progress", "--timeout", "2s");
      } finally {
        stop(servers);
      }
      assertThat(code).isEqualTo(ExitCodes.MISMATCH);
      String page = Files.readString(html);
      selfContained(page);
      String dom = b.dumpDom(html);
      Files.writeString(OUT.resolve("scan-report.dom.html"), dom);
      assertThat(dom).contains("<span id=\"total\">101</span>")
          .contains("<code id=\"cmdline\">tcpdial scan 127.0.0.1 -p 1-21,24-100,8080 -f ")
          .containsPattern("data-outcome=\"connected\">.*?<b>2</b>")
          .containsPattern("data-outcome=\"refused\">.*?<b>99</b>")
          .containsPattern("data-outcome=\"mismatch\">.*?<b>1</b>");
      assertThat(count(dom, "<rect class=\"cell o-connected\"")).as("grid: 22 and 8080").isEqualTo(2);
      assertThat(count(dom, "<rect class=\"cell o-refused\"")).isEqualTo(99);
      assertThat(dom).containsPattern("<rect class=\"cell o-refused\"[^>]*stroke=\"#cf222e\""
          + "[^>]*data-port=\"23\"");
      assertThat(dom).contains("<title>127.0.0.1 port 8080: 1 connected</title>");
      assertThat(count(dom, "<tr class=\"row")).as("table: 22, 23 (failed expectation), 8080")
          .isEqualTo(3);
      assertThat(count(dom, "<tr class=\"row mismatch\"")).isEqualTo(1);
      assertThat(dom).contains("<td>23</td>".replace("<td>", "<td class=\"num\">"))
          .contains("open FAILED").contains("3 of 3 rows");
      assertThat(count(dom, "<rect class=\"bar o-")).as("histogram bars").isGreaterThan(1);
      b.screenshot(html, OUT.resolve("scan-report.png").toAbsolutePath(), 1100, 1000);
    }
  }

  /**
   * The scan page's one script runs under its policy, which names it by its SHA-256 and has no
   * {@code 'unsafe-inline'}: the table is drawn. The same page with one character of the script
   * changed draws nothing: the browser holds the script to its hash.
   */
  @Test
  void theScriptRunsByItsHashAndNoOtherDoes() throws Exception {
    String why = Browser.unavailable();
    assumeTrue(why == null, why);
    Files.createDirectories(OUT);
    Path page = OUT.resolve("scan-csp.html").toAbsolutePath();
    Path tampered = OUT.resolve("scan-csp-tampered.html").toAbsolutePath();
    dev.tcpdial.cli.report.ScanReport report = new dev.tcpdial.cli.report.ScanReport(page, false,
        "tcpdial scan 198.18.1.1-3 -p 80");
    for (int h = 1; h <= 3; h++) {
      java.net.InetAddress a = java.net.InetAddress.ofLiteral("198.18.1." + h);
      report.add(new dev.tcpdial.DialResult(new dev.tcpdial.Target("198.18.1." + h, 80),
          h == 2 ? dev.tcpdial.Outcome.CONNECTED : dev.tcpdial.Outcome.TIMEOUT, null,
          new java.net.InetSocketAddress(a, 80), null, java.time.Duration.ofMillis(h),
          java.time.Duration.ZERO, List.of(a), dev.tcpdial.Mode.ASYNC, dev.tcpdial.Engine.NATIVE,
          List.of()), null, true);
    }
    assertThat(report.write(java.time.Duration.ofMillis(5), new java.io.PrintWriter(System.err)))
        .isTrue();
    String html = Files.readString(page);
    assertThat(html).containsPattern("script-src 'sha256-[A-Za-z0-9+/=]{44}'\"")
        .doesNotContain("script-src 'unsafe-inline'");
    Files.writeString(tampered, html.replace("limit=500", "limit=499"));
    try (Browser b = Browser.open("c")) {
      String dom = b.dumpDom(page);
      assertThat(count(dom, "<tr class=\"row")).as("the script drew the table").isEqualTo(3);
      assertThat(dom).contains("3 of 3 rows");
      String blocked = b.dumpDom(tampered);
      assertThat(count(blocked, "<tr class=\"row")).as("a changed script does not run").isZero();
      assertThat(blocked).doesNotContain("3 of 3 rows");
    }
  }

  @Test
  void fullPortScanReportIsSmallAndOpensFast() throws Exception {
    String why = Browser.unavailable();
    assumeTrue(why == null, why);
    Files.createDirectories(OUT);
    Path big = OUT.resolve("scan-65535.html").toAbsolutePath();
    Path bigAll = OUT.resolve("scan-65535-all.html").toAbsolutePath();
    StringBuilder note = new StringBuilder();
    try (Browser b = Browser.open("f")) {
      List<Process> servers = serve(b, 8080);
      try {
        assertThat(run(b, "scan", "127.0.0.1", "-p", "1-65535", "--report", big.toString(), "-q"))
            .isEqualTo(ExitCodes.REFUSED);
        assertThat(run(b, "scan", "127.0.0.1", "-p", "1-65535", "--report", bigAll.toString(),
            "--report-all", "-q")).isEqualTo(ExitCodes.REFUSED);
      } finally {
        stop(servers);
      }
      for (Path p : List.of(big, bigAll)) {
        long size = Files.size(p);
        double ms = loadMillis(b, p);
        note.append(String.format(Locale.ROOT, "%s: %,d bytes, loaded and laid out in %.0f ms%n",
            p.getFileName(), size, ms));
        assertThat(size).as("%s under 2 MB", p).isLessThan(2_000_000);
        assertThat(ms).as("%s opens in under 2 s", p).isLessThan(2000);
      }
      String dom = b.dumpDom(bigAll);
      assertThat(dom).contains("<span id=\"total\">65,535</span>")
          .contains("(ports in ranges of 512)").contains("45,535 more not kept");
      assertThat(count(dom, "<rect class=\"cell ")).isEqualTo(128);
      assertThat(count(dom, "<tr class=\"row")).as("500 rows drawn at a time").isEqualTo(500);
      b.screenshot(big, OUT.resolve("scan-65535.png").toAbsolutePath(), 1100, 900);
    } finally {
      Files.writeString(OUT.resolve("report-timing.txt"), note);
      System.out.print(note);
    }
  }

  /**
   * How long Chromium takes from inserting the page into a frame to its load event and a layout
   * of its body: what "opens" means for a reader, without the browser's own start.
   */
  static double loadMillis(Browser b, Path page) throws Exception {
    Path timing = page.resolveSibling("timing-" + page.getFileName());
    Files.writeString(timing, "<!DOCTYPE html><html><body><pre id=\"t\"></pre><script>"
        + "const t0=performance.now();const f=document.createElement('iframe');"
        + "f.style.width='1200px';f.style.height='900px';"
        + "f.onload=()=>{const h=f.contentDocument.body.offsetHeight;"
        + "document.getElementById('t').textContent='LOADED '+(performance.now()-t0).toFixed(1)"
        + "+' '+h;};f.src='" + page.getFileName() + "';document.body.appendChild(f);"
        + "</script></body></html>");
    String dom = b.dumpDom(timing, "--allow-file-access-from-files");
    Matcher m = Pattern.compile("LOADED ([0-9.]+) ([0-9]+)").matcher(dom);
    assertThat(m.find()).as("the timing page ran: %s", dom).isTrue();
    assertThat(Integer.parseInt(m.group(2))).as("laid out").isGreaterThan(500);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void pingReport() throws Exception {
    String why = Browser.unavailable();
    assumeTrue(why == null, why);
    Files.createDirectories(OUT);
    Path html = OUT.resolve("ping-report.html").toAbsolutePath();
    try (Loopback.Open open = new Loopback.Open();
        Loopback.FullBacklog silent = new Loopback.FullBacklog()) {
      int closed = Loopback.closedPort();
      Cli.Run r = Cli.run("ping", "-c", "15", "-i", "100ms", "--timeout", "80ms", "--report",
          OUT.resolve("ping-report.html").toString(), "127.0.0.1:" + open.port(), "127.0.0.1:" + closed,
          "127.0.0.1:" + silent.port());
      assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.TIMEOUT);
      selfContained(Files.readString(html));
      try (Browser b = Browser.open("p")) {
        String dom = b.dumpDom(html);
        Files.writeString(OUT.resolve("ping-report.dom.html"), dom);
        assertThat(dom).contains("<svg id=\"latency\"")
            .contains("--- 127.0.0.1:" + open.port() + " tcpdial ping statistics ---")
            .contains("15 sent, 15 connected, 0 failed")
            .contains("15 sent, 0 connected, 15 failed (refused 15)")
            .contains("15 sent, 0 connected, 15 failed (timeout 15)");
        assertThat(count(dom, "<circle class=\"probe\"")).as("a point per connected probe")
            .isBetween(10, 15);
        assertThat(count(dom, "<rect class=\"fail o-refused\"")).isBetween(10, 15);
        assertThat(count(dom, "<rect class=\"fail o-timeout\"")).isBetween(10, 15);
        assertThat(count(dom, "<rect class=\"outage\"")).as("one outage each").isEqualTo(2);
        b.screenshot(html, OUT.resolve("ping-report.png").toAbsolutePath(), 1000, 760);
      }
    }
  }
}
