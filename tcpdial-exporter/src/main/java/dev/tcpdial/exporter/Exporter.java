package dev.tcpdial.exporter;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tcpdial.DialResult;
import dev.tcpdial.Resolver;
import dev.tcpdial.Target;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP side of {@code tcpdial serve}: {@code /probe}, {@code /metrics}, {@code /}, {@code
 * /-/healthy}, {@code /-/ready}, {@code /-/reload}; one handler per endpoint, each request on a
 * pooled platform thread. The configuration is an immutable value swapped whole on reload; a
 * broken file keeps the previous one.
 */
public final class Exporter implements AutoCloseable {

  /**
   * How the exporter runs.
   *
   * @param listen address and port to listen on
   * @param configFile the YAML file, or null for the built-in {@code tcp_connect} module
   * @param timeoutOffset subtracted from the scraper's timeout
   * @param allow the address blocks {@code /probe} may dial
   * @param maxConcurrent probes at once; past it 503
   */
  public record Settings(InetSocketAddress listen, Path configFile, Duration timeoutOffset,
      Cidrs allow, int maxConcurrent) {}

  /** Seconds a probe waits when the scraper sends no timeout (blackbox_exporter's habit). */
  static final double NO_SCRAPE_TIMEOUT = 120;
  /** Grace for probes in flight on shutdown before they are cancelled. */
  static final Duration GRACE = Duration.ofMillis(1500);

  private final Settings settings;
  private final Prober prober;
  private final PrintWriter log;
  private final ExporterMetrics metrics;
  private final Semaphore slots;
  private final ExpositionFormats formats = ExpositionFormats.init();
  private final Set<Thread> probing = ConcurrentHashMap.newKeySet();
  private final Object reloadLock = new Object();
  private volatile Config config;
  private volatile Continuous continuous;
  private volatile boolean stopping;
  private HttpServer server;
  private ExecutorService executor;

  /**
   * An exporter; nothing runs until {@link #start}.
   *
   * @param settings the listen address, configuration, limits and allowed blocks
   * @param resolver resolves probe targets' names (the system's, or a test's)
   * @param log one line per start, reload and error
   */
  public Exporter(Settings settings, Resolver resolver, PrintWriter log) {
    this.settings = settings;
    this.prober = new Prober(resolver);
    this.log = log;
    this.metrics = new ExporterMetrics(true);
    this.slots = new Semaphore(settings.maxConcurrent());
  }

  /**
   * Loads the configuration and starts listening.
   *
   * @throws Config.Invalid for a configuration that cannot be used (one line)
   * @throws IOException when the address cannot be bound
   */
  public void start() throws Config.Invalid, IOException {
    Config c = load();
    install(c, null);
    metrics.reloadOk.set(1);
    metrics.reloadTime.set((double) Instant.now().getEpochSecond());
    server = HttpServer.create(settings.listen(), 1024);
    // Platform threads, reused: a probe's blocking connect then waits in the kernel; on a virtual
    // thread it parks and is woken through the JDK's poller, which measured 2-3x fewer /probe
    // answers per second on this 2-core machine. --max-concurrent bounds the probes among them.
    executor = Executors.newCachedThreadPool(Thread.ofPlatform().name("tcpdial-serve-", 0)
        .daemon(true).factory());
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
    log("listening on " + hostPort(address()) + ", " + describe(c) + ", timeout offset "
        + GoDuration.format(settings.timeoutOffset()) + ", max concurrent "
        + settings.maxConcurrent() + ", max connections "
        + System.getProperty("jdk.httpserver.maxConnections", "unlimited") + ", request timeout "
        + System.getProperty("sun.net.httpserver.maxReqTime", "none") + "s, allow "
        + settings.allow());
  }

  /**
   * The address the server is bound to.
   *
   * @return the address, with the port chosen when {@code :0} was asked
   */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  private Config load() throws Config.Invalid {
    Path f = settings.configFile();
    return f == null ? Config.builtIn() : Config.load(f);
  }

  private void install(Config c, Config previous) {
    Continuous old = continuous;
    if (old != null) {
      old.close();
    }
    ExporterMetrics.TargetMetrics tm = metrics.targetsFor(c, previous);
    metrics.modules.labelValues("served").set(c.modules().size());
    metrics.modules.labelValues("not_served").set(c.notServed().size());
    config = c;
    continuous = new Continuous(c, prober, tm);
  }

  /**
   * Reloads the configuration file; on failure keeps the current one.
   *
   * @param why what asked for it (SIGHUP, {@code /-/reload}), for the log
   * @return true when the new configuration took
   */
  public boolean reload(String why) {
    synchronized (reloadLock) {
      try {
        Config c = load();
        install(c, config);
        metrics.reloadOk.set(1);
        metrics.reloadTime.set((double) Instant.now().getEpochSecond());
        metrics.reloads.labelValues("success").inc();
        log("reloaded (" + why + "): " + describe(c));
        return true;
      } catch (Config.Invalid | RuntimeException | StackOverflowError | OutOfMemoryError e) {
        // whatever went wrong, the previous configuration serves on and the failure is counted
        metrics.reloadOk.set(0);
        metrics.reloads.labelValues("failure").inc();
        log("error: reload (" + why + ") failed, keeping the previous configuration: "
            + (e instanceof Config.Invalid ? e.getMessage() : e.toString()));
        return false;
      }
    }
  }

  /**
   * One line saying what a configuration serves: its modules, those not served and why, its
   * continuous targets.
   *
   * @param c a configuration
   * @return e.g. {@code config f.yml: 2 modules served (a, b), 1 not served: c (why), 0 ...}
   */
  public static String describe(Config c) {
    StringBuilder b = new StringBuilder("config ").append(c.source()).append(": ")
        .append(c.modules().size()).append(" module").append(c.modules().size() == 1 ? "" : "s")
        .append(" served (").append(String.join(", ", c.modules().keySet())).append(")");
    if (!c.notServed().isEmpty()) {
      b.append(", ").append(c.notServed().size()).append(" not served:");
      String sep = " ";
      for (Map.Entry<String, String> e : c.notServed().entrySet()) {
        b.append(sep).append(e.getKey()).append(" (").append(e.getValue()).append(')');
        sep = "; ";
      }
    }
    b.append(", ").append(c.targets().size()).append(" continuous target")
        .append(c.targets().size() == 1 ? "" : "s");
    return b.toString();
  }

  private void log(String line) {
    synchronized (log) {
      log.println(Config.oneLine("tcpdial serve: " + line));
      log.flush();
    }
  }

  // ---- handlers ----

  private void handle(HttpExchange ex) throws IOException {
    try (ex; InputStream in = ex.getRequestBody()) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      String path = ex.getRequestURI().getRawPath();
      switch (path) {
        case "/probe" -> probe(ex);
        case "/metrics" -> metricsPage(ex);
        case "/-/healthy" -> text(ex, 200, "Healthy\n");
        case "/-/ready" -> text(ex, stopping ? 503 : 200, stopping ? "Stopping\n" : "Ready\n");
        case "/-/reload" -> reloadEndpoint(ex);
        case "/" -> index(ex);
        default -> reject(ex, 404, "not_found", "no such page: " + path
            + " (try /probe, /metrics, /-/healthy, /-/ready, /-/reload)");
      }
    } catch (IOException e) {
      // the client went away
    } catch (RuntimeException e) {
      log("error: " + ex.getRequestMethod() + " " + ex.getRequestURI().getRawPath() + ": " + e);
      try {
        text(ex, 500, "internal error: " + Config.oneLine(String.valueOf(e.getMessage())) + "\n");
      } catch (IOException | RuntimeException ignored) {
        // headers already sent
      }
    }
  }

  private void probe(HttpExchange ex) throws IOException {
    if (!isGet(ex)) {
      reject(ex, 405, "method", "use GET for /probe");
      return;
    }
    ProbeRequest p;
    try {
      p = probeRequest(ex.getRequestURI().getRawQuery(),
          ex.getRequestHeaders().getFirst("X-Prometheus-Scrape-Timeout-Seconds"), config);
    } catch (Rejected r) {
      reject(ex, r.status, r.reason, r.getMessage());
      return;
    }
    if (stopping || !slots.tryAcquire()) {
      ex.getResponseHeaders().set("Retry-After", "1");
      reject(ex, 503, "overloaded", stopping ? "shutting down"
          : "too many probes in flight (--max-concurrent " + settings.maxConcurrent() + ")");
      return;
    }
    Prober.Result r;
    Thread me = Thread.currentThread();
    probing.add(me);
    metrics.inFlight.inc();
    try {
      // a target that does not parse is a failed probe, as blackbox_exporter answers it
      r = p.target() == null ? Prober.badTarget(p.module(), p.deadline(), p.targetError())
          : prober.probe(p.target(), p.module(), p.deadline(), settings.allow());
    } catch (Prober.Denied e) {
      reject(ex, 403, "denied", "denied: " + e.getMessage());
      return;
    } finally {
      metrics.inFlight.dec();
      probing.remove(me);
      slots.release();
      Thread.interrupted(); // a cancel on shutdown ends here; the answer still goes out
    }
    metrics.probes.labelValues(p.moduleName(), r.dial().outcome().label()).inc();
    if (p.debug()) {
      text(ex, 200, ProbeMetrics.debug(p.targetText(), r));
      return;
    }
    // always the text format, numbers as client_golang writes them: blackbox_exporter's answer
    ex.getResponseHeaders().set("Content-Type", ProbeMetrics.CONTENT_TYPE);
    send(ex, 200, ProbeMetrics.body(r));
  }

  /**
   * A checked {@code /probe} request: what to dial, with which module, until when.
   *
   * @param target the target parsed, or null when it does not parse
   * @param targetText the target as given
   * @param moduleName the module's name
   * @param module the module
   * @param deadline the probe's deadline
   * @param debug whether the answer is the debug page
   * @param targetError why the target does not parse, or null
   */
  record ProbeRequest(Target target, String targetText, String moduleName, Module module,
      Duration deadline, boolean debug, String targetError) {}

  /** A request refused before anything is dialed: its status, reason label and one line. */
  static final class Rejected extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;
    final String reason;

    Rejected(int status, String reason, String line) {
      super(Config.oneLine(line));
      this.status = status;
      this.reason = reason;
    }
  }

  /**
   * Checks a {@code /probe} request's query and scrape timeout header against {@code c}: a
   * request, or 400 with one line (malformed query or target, unknown or unserved module, bad
   * timeout, bad {@code debug}).
   */
  ProbeRequest probeRequest(String rawQuery, String timeoutHeader, Config c) throws Rejected {
    Map<String, String> q;
    try {
      q = query(rawQuery);
    } catch (IllegalArgumentException e) {
      throw new Rejected(400, "bad_request", e.getMessage());
    }
    String moduleName = q.getOrDefault("module", "tcp_connect");
    Module module = c.modules().get(moduleName);
    if (module == null) {
      String why = c.notServed().get(moduleName);
      throw new Rejected(400, why == null ? "bad_request" : "unserved_module", why == null
          ? "unknown module '" + moduleName + "' (served: "
              + String.join(", ", c.modules().keySet()) + ")"
          : "module '" + moduleName + "' is not served: " + why);
    }
    String targetText = q.get("target");
    if (targetText == null || targetText.isBlank()) {
      throw new Rejected(400, "bad_request", "target parameter is missing (target=host:port)");
    }
    Target target = null;
    String targetError = null;
    try {
      target = Target.parse(targetText);
    } catch (IllegalArgumentException e) {
      targetError = Config.oneLine(e.getMessage());
    }
    Duration deadline;
    try {
      deadline = deadline(timeoutHeader, module);
    } catch (IllegalArgumentException e) {
      throw new Rejected(400, "bad_request", e.getMessage());
    }
    String debug = q.getOrDefault("debug", "false");
    if (!debug.equals("true") && !debug.equals("false")) {
      throw new Rejected(400, "bad_request", "debug must be true or false");
    }
    return new ProbeRequest(target, targetText, moduleName, module, deadline,
        debug.equals("true"), targetError);
  }

  /**
   * The scraper's timeout minus the offset, capped by the module's timeout; without a header
   * 120 s, as blackbox_exporter does. Never below 1 ms.
   */
  Duration deadline(String header, Module module) {
    double scrape = NO_SCRAPE_TIMEOUT;
    if (header != null) {
      try {
        scrape = Double.parseDouble(header.strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad X-Prometheus-Scrape-Timeout-Seconds '" + header
            + "': a number of seconds");
      }
      if (!(scrape >= 0) || Double.isInfinite(scrape)) {
        throw new IllegalArgumentException("bad X-Prometheus-Scrape-Timeout-Seconds '" + header
            + "': a number of seconds");
      }
      if (scrape == 0) {
        scrape = NO_SCRAPE_TIMEOUT;
      }
    }
    double max = scrape - ProbeMetrics.seconds(settings.timeoutOffset());
    double mod = ProbeMetrics.seconds(module.timeout());
    double s = mod > 0 && (mod < max || max <= 0) ? mod : max;
    return Duration.ofNanos(Math.max(1_000_000L, (long) (s * 1e9)));
  }

  private void metricsPage(HttpExchange ex) throws IOException {
    write(ex, metrics.registry.scrape());
  }

  private void write(HttpExchange ex, MetricSnapshots m) throws IOException {
    ExpositionFormatWriter w = formats.findWriter(ex.getRequestHeaders().getFirst("Accept"));
    ByteArrayOutputStream out = new ByteArrayOutputStream(2048);
    w.write(out, m);
    ex.getResponseHeaders().set("Content-Type", w.getContentType());
    // numbers as client_golang writes them, as on /probe (1, 3.668918509e+09)
    send(ex, 200, GoText.exposition(out.toByteArray(), w.getContentType()));
  }

  private void reloadEndpoint(HttpExchange ex) throws IOException {
    if (!ex.getRequestMethod().equals("POST") && !ex.getRequestMethod().equals("PUT")) {
      reject(ex, 405, "method", "use POST for /-/reload");
      return;
    }
    if (settings.configFile() == null) {
      text(ex, 400, "no --config file to reload\n");
      return;
    }
    boolean ok = reload("POST /-/reload");
    text(ex, ok ? 200 : 500, ok ? "reloaded\n" : "reload failed, previous configuration kept\n");
  }

  private void index(HttpExchange ex) throws IOException {
    Config c = config;
    StringBuilder b = new StringBuilder();
    b.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tcpdial serve</title>"
        + "</head><body>\n<h1>tcpdial serve</h1>\n<p>Configuration: ")
        .append(html(c.source())).append("</p>\n<p><a href=\"/metrics\">Metrics</a> · "
            + "<a href=\"/-/healthy\">Healthy</a> · <a href=\"/-/ready\">Ready</a></p>\n"
            + "<form action=\"/probe\"><input name=\"target\" placeholder=\"host:port\"> "
            + "<select name=\"module\">");
    for (String m : c.modules().keySet()) {
      b.append("<option>").append(html(m)).append("</option>");
    }
    b.append("</select> <input type=\"hidden\" name=\"debug\" value=\"true\">"
        + "<button>Probe (debug)</button></form>\n<h2>Modules</h2>\n<table border=\"1\">"
        + "<tr><th>module</th><th>served</th><th>timeout</th><th>why not</th></tr>\n");
    for (Module m : c.modules().values()) {
      b.append("<tr><td>").append(html(m.name())).append("</td><td>yes</td><td>")
          .append(m.timeout().isZero() ? "scrape timeout" : GoDuration.format(m.timeout()))
          .append("</td><td></td></tr>\n");
    }
    for (Map.Entry<String, String> e : c.notServed().entrySet()) {
      b.append("<tr><td>").append(html(e.getKey())).append("</td><td>no</td><td></td><td>")
          .append(html(e.getValue())).append("</td></tr>\n");
    }
    b.append("</table>\n<h2>Continuous targets</h2>\n<table border=\"1\"><tr><th>target</th>"
        + "<th>module</th><th>interval</th><th>last outcome</th><th>errno</th><th>time</th>"
        + "</tr>\n");
    Map<Config.ContinuousTarget, DialResult> last = continuous.last();
    for (Config.ContinuousTarget t : c.targets()) {
      DialResult d = last.get(t);
      b.append("<tr><td>").append(html(t.target().toString())).append("</td><td>")
          .append(html(t.module())).append("</td><td>").append(GoDuration.format(t.interval()))
          .append("</td><td>").append(d == null ? "-" : d.outcome().label()).append("</td><td>")
          .append(d == null || d.errno() == null ? "" : d.errno().name()).append("</td><td>")
          .append(d == null ? "" : String.format(Locale.ROOT, "%.3f ms",
              d.elapsed().toNanos() / 1e6)).append("</td></tr>\n");
    }
    b.append("</table>\n</body></html>\n");
    ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
    send(ex, 200, b.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static String html(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  private void reject(HttpExchange ex, int status, String reason, String line) throws IOException {
    metrics.rejected.labelValues(reason).inc();
    text(ex, status, Config.oneLine(line) + "\n");
  }

  private static boolean isGet(HttpExchange ex) {
    return ex.getRequestMethod().equals("GET") || ex.getRequestMethod().equals("HEAD");
  }

  private static void text(HttpExchange ex, int status, String body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    send(ex, status, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      ex.getResponseBody().write(body);
    }
  }

  /** Query parameters; a malformed escape, an empty name or a repeated one is refused. */
  static Map<String, String> query(String raw) {
    Map<String, String> q = new HashMap<>();
    if (raw == null || raw.isEmpty()) {
      return q;
    }
    for (String pair : raw.split("&", -1)) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = decode(eq < 0 ? pair : pair.substring(0, eq));
      String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
      if (k.isEmpty()) {
        throw new IllegalArgumentException("malformed query: a parameter without a name");
      }
      if (q.putIfAbsent(k, v) != null) {
        throw new IllegalArgumentException("parameter '" + k + "' given twice");
      }
    }
    return q;
  }

  private static String decode(String s) {
    try {
      String d = URLDecoder.decode(s, StandardCharsets.UTF_8);
      if (d.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
        throw new IllegalArgumentException("malformed query: control character in a parameter");
      }
      return d;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage().startsWith("malformed")
          ? e.getMessage() : "malformed query: bad %-escape");
    }
  }

  // ---- shutdown ----

  /**
   * Stops accepting, lets probes in flight finish for {@link #GRACE}, cancels the rest, closes
   * the server; returns within about 2 s.
   */
  @Override
  public void close() {
    stopping = true;
    Continuous c = continuous;
    if (c != null) {
      c.close();
    }
    if (server == null) {
      prober.close();
      return;
    }
    Thread canceller = Thread.ofVirtual().start(() -> {
      try {
        long end = System.nanoTime() + GRACE.toNanos();
        while (!probing.isEmpty() && System.nanoTime() < end) {
          Thread.sleep(10);
        }
        probing.forEach(Thread::interrupt);
      } catch (InterruptedException e) {
        probing.forEach(Thread::interrupt);
      }
    });
    server.stop(2);
    canceller.interrupt();
    executor.shutdownNow();
    try {
      executor.awaitTermination(500, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    prober.close();
  }

  /**
   * Probes running now.
   *
   * @return their count
   */
  public int inFlight() {
    return probing.size();
  }

  static String hostPort(InetSocketAddress a) {
    return Prober.address(a);
  }
}
