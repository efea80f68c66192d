package dev.tcpdial.exporter;

import dev.tcpdial.DialResult;
import dev.tcpdial.Outcome;
import dev.tcpdial.Resolver;
import dev.tcpdial.Target;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The endpoints of {@code tcpdial serve}: {@code /probe}, {@code /metrics}, {@code /}, {@code
 * /-/healthy}, {@code /-/ready}, {@code /-/reload}; one handler per endpoint over {@link
 * WebServer}. The configuration is an immutable value swapped whole on reload; a broken file
 * keeps the previous one.
 *
 * <p>Capacity is kept apart: a probe runs on a thread of its own (at most {@code
 * --max-concurrent}, past it 503 at once); {@code /metrics}, {@code /} and {@code /-/reload} run
 * on one control thread with a short queue; {@code /-/healthy} and {@code /-/ready} are answered
 * on the event loop. So no number of slow probes delays the health endpoints or {@code /metrics}.
 * A probe whose client hangs up is cancelled at once (it ends {@code cancelled}, nothing is
 * answered).
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

  /**
   * The HTTP side's limits and its exporter-toolkit configuration.
   *
   * @param maxConnections HTTP connections at once; at least {@code maxConcurrent} + {@link
   *     #RESERVE}
   * @param requestTimeout time a connection has to deliver a whole request (TLS handshake,
   *     line, headers, body), from its accept or its first byte after an answer
   * @param webConfigFile {@code --web.config.file} (TLS, basic authentication, headers), or null
   */
  public record Http(int maxConnections, Duration requestTimeout, Path webConfigFile) {
    /** Time to deliver a request when not given: 10 s. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

    /**
     * The defaults for {@code maxConcurrent} probes: connections for each probe and {@link
     * #RESERVE} more; no web configuration.
     *
     * @param maxConcurrent probes at once
     * @return the defaults
     */
    public static Http defaults(int maxConcurrent) {
      return new Http(maxConcurrent + 2 * RESERVE, DEFAULT_REQUEST_TIMEOUT, null);
    }
  }

  /**
   * Connections kept, at the least, beyond {@code --max-concurrent}: for {@code /metrics}, the
   * health endpoints and clients between requests ({@code --max-connections} must leave them).
   */
  public static final int RESERVE = WebServer.RESERVE;

  /** Seconds a probe waits when the scraper sends no timeout (blackbox_exporter's habit). */
  static final double NO_SCRAPE_TIMEOUT = 120;
  /**
   * The most a scraper's {@code X-Prometheus-Scrape-Timeout-Seconds} counts for, in seconds: a
   * larger value (up to 1e308) is taken as this, so no request can make a probe longer than the
   * module's own timeout or this. Prometheus' own scrape timeouts are far below it.
   */
  static final double MAX_SCRAPE_TIMEOUT = 120;
  /** Grace for probes in flight on shutdown before they are cancelled. */
  static final Duration GRACE = Duration.ofMillis(1500);

  private final Settings settings;
  private final Http http;
  private final Prober prober;
  private final Log log;
  private final ExporterMetrics metrics;
  private final Semaphore slots;
  private final ExpositionFormats formats = ExpositionFormats.init();
  private final Set<ProbeJob> probing = ConcurrentHashMap.newKeySet();
  private final Object reloadLock = new Object();
  private volatile Config config;
  private volatile Continuous continuous;
  private volatile boolean stopping;
  private WebServer server;
  private ExecutorService probes;
  private ExecutorService control;

  /**
   * An exporter with the default HTTP limits, logging logfmt at info; nothing runs until {@link
   * #start}.
   *
   * @param settings the listen address, configuration, limits and allowed blocks
   * @param resolver resolves probe targets' names (the system's, or a test's)
   * @param log where the log lines go
   */
  public Exporter(Settings settings, Resolver resolver, PrintWriter log) {
    this(settings, Http.defaults(settings.maxConcurrent()), resolver,
        new Log(log, Log.Level.INFO, Log.Format.LOGFMT));
  }

  /**
   * An exporter; nothing runs until {@link #start}.
   *
   * @param settings the listen address, configuration, limits and allowed blocks
   * @param http the HTTP side's limits and web configuration
   * @param resolver resolves probe targets' names (the system's, or a test's)
   * @param log one line per start, reload and error; per request at debug
   */
  public Exporter(Settings settings, Http http, Resolver resolver, Log log) {
    this.settings = settings;
    this.http = http;
    this.prober = new Prober(resolver);
    this.log = log;
    this.metrics = new ExporterMetrics(true);
    this.slots = new Semaphore(settings.maxConcurrent());
  }

  /**
   * The exporter's log.
   *
   * @return the log
   */
  public Log log() {
    return log;
  }

  /**
   * Loads the configurations and starts listening.
   *
   * @throws Config.Invalid for a configuration or web configuration that cannot be used (one
   *     line)
   * @throws IOException when the address cannot be bound
   */
  public void start() throws Config.Invalid, IOException {
    if (http.maxConnections() < settings.maxConcurrent() + RESERVE) {
      throw new Config.Invalid("--max-connections " + http.maxConnections()
          + " leaves no room beside --max-concurrent " + settings.maxConcurrent()
          + ": give at least " + (settings.maxConcurrent() + RESERVE));
    }
    Config c = load();
    try {
      server = new WebServer(new WebServer.Options(settings.listen(), http.maxConnections(),
          http.requestTimeout(), http.webConfigFile()), this::handle, log);
    } catch (WebConfig.Invalid e) {
      throw new Config.Invalid(e.getMessage());
    }
    install(c, null);
    metrics.reloadOk.set(1);
    metrics.reloadTime.set((double) Instant.now().getEpochSecond());
    // Platform threads, reused: a probe's blocking connect then waits in the kernel; on a virtual
    // thread it parks and is woken through the JDK's poller, which measured 2-3x fewer /probe
    // answers per second on this 2-core machine. --max-concurrent bounds the probes among them.
    probes = Executors.newCachedThreadPool(Thread.ofPlatform().name("tcpdial-probe-", 0)
        .daemon(true).factory());
    control = WebServer.bounded("tcpdial-control");
    server.start();
    log.info("listening on " + hostPort(address()) + (server.tls() ? " (TLS)" : "") + ", "
        + describe(c) + ", timeout offset " + GoDuration.format(settings.timeoutOffset())
        + ", max concurrent " + settings.maxConcurrent() + ", max connections "
        + http.maxConnections() + ", request timeout "
        + GoDuration.format(http.requestTimeout()) + ", allow " + settings.allow()
        + (http.webConfigFile() == null ? "" : ", web config " + http.webConfigFile()));
  }

  /**
   * The address the server is bound to.
   *
   * @return the address, with the port chosen when {@code :0} was asked
   */
  public InetSocketAddress address() {
    return server.address();
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
        log.info("reloaded (" + why + "): " + describe(c));
        return true;
      } catch (Config.Invalid | RuntimeException | StackOverflowError | OutOfMemoryError e) {
        // whatever went wrong, the previous configuration serves on and the failure is counted
        metrics.reloadOk.set(0);
        metrics.reloads.labelValues("failure").inc();
        log.error("reload (" + why + ") failed, keeping the previous configuration: "
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

  // ---- handlers ----

  /** On the event loop: cheap answers here, the rest handed to the probe or control threads. */
  private void handle(WebServer.Exchange ex) {
    try {
      switch (ex.path) {
        case "/probe" -> probe(ex);
        case "/metrics" -> onControl(ex, () -> metricsPage(ex));
        case "/-/healthy" -> ex.respond(200, "Healthy\n");
        case "/-/ready" -> ex.respond(stopping ? 503 : 200, stopping ? "Stopping\n" : "Ready\n");
        case "/-/reload" -> onControl(ex, () -> reloadEndpoint(ex));
        case "/" -> onControl(ex, () -> index(ex));
        default -> reject(ex, 404, "not_found", "no such page: " + ex.path
            + " (try /probe, /metrics, /-/healthy, /-/ready, /-/reload)");
      }
    } catch (RuntimeException e) {
      failed(ex, e);
    }
  }

  private void onControl(WebServer.Exchange ex, Runnable r) {
    try {
      control.execute(() -> {
        if (ex.clientLeft()) {
          return;
        }
        try {
          r.run();
        } catch (RuntimeException e) {
          failed(ex, e);
        }
      });
    } catch (RejectedExecutionException e) {
      ex.respond(503, "too many requests waiting for the control thread\n", "Retry-After", "1");
    }
  }

  private void failed(WebServer.Exchange ex, RuntimeException e) {
    log.error("internal error", "method", ex.method, "path", ex.path, "err", e);
    ex.respond(500, "internal error: " + Config.oneLine(String.valueOf(e.getMessage())) + "\n");
  }

  /**
   * A probe's thread, interrupted exactly when the probe is still running: a pooled thread that
   * has gone on to other work is never interrupted by a late cancel.
   */
  private static final class ProbeJob {
    private Thread thread;
    private boolean cancelled;
    private boolean done;

    synchronized boolean begin(Thread t) {
      thread = t;
      return !cancelled;
    }

    synchronized void cancel() {
      cancelled = true;
      if (thread != null && !done) {
        thread.interrupt();
      }
    }

    synchronized void end() {
      done = true;
      thread = null;
    }
  }

  private void probe(WebServer.Exchange ex) {
    if (!isGet(ex)) {
      reject(ex, 405, "method", "use GET for /probe");
      return;
    }
    ProbeRequest p;
    try {
      p = probeRequest(ex.rawQuery, ex.headers.get("X-Prometheus-Scrape-Timeout-Seconds"), config);
    } catch (Rejected r) {
      reject(ex, r.status, r.reason, r.getMessage());
      return;
    }
    if (stopping || !slots.tryAcquire()) {
      reject(ex, 503, "overloaded", stopping ? "shutting down"
          : "too many probes in flight (--max-concurrent " + settings.maxConcurrent() + ")",
          "Retry-After", "1");
      return;
    }
    ProbeJob job = new ProbeJob();
    probing.add(job);
    metrics.inFlight.inc();
    ex.onClientGone(job::cancel);
    try {
      probes.execute(() -> runProbe(ex, p, job));
    } catch (RejectedExecutionException e) {
      probing.remove(job);
      metrics.inFlight.dec();
      slots.release();
      reject(ex, 503, "overloaded", "shutting down", "Retry-After", "1");
    }
  }

  private void runProbe(WebServer.Exchange ex, ProbeRequest p, ProbeJob job) {
    Prober.Result r = null;
    Prober.Denied denied = null;
    try {
      if (job.begin(Thread.currentThread())) {
        // a target that does not parse is a failed probe, as blackbox_exporter answers it
        r = p.target() == null ? Prober.badTarget(p.module(), p.deadline(), p.targetError())
            : prober.probe(p.target(), p.module(), p.deadline(), settings.allow());
      }
    } catch (Prober.Denied e) {
      denied = e;
    } finally {
      job.end();
      Thread.interrupted(); // a cancel ends here; the thread goes back clean
      probing.remove(job);
      metrics.inFlight.dec();
      slots.release();
    }
    if (denied != null) {
      // the answer names no address the name resolved to; the log (debug) does
      log.debug("probe denied", "target", p.targetText(), "client", ex.client(), "why",
          denied.getMessage());
      reject(ex, 403, "denied", "denied: " + (p.target().literal().isPresent()
          ? p.target().host() + " is outside --allow"
          : p.target().host() + " resolves to an address outside --allow"));
      return;
    }
    if (r == null) {
      log.debug("probe not started: its client went away", "target", p.targetText());
      return;
    }
    metrics.probes.labelValues(p.moduleName(), r.dial().outcome().label()).inc();
    if (ex.clientLeft()) {
      if (r.dial().outcome() == Outcome.CANCELLED) {
        log.debug("probe cancelled: its client went away", "target", p.targetText(),
            "client", ex.client());
      }
      return;
    }
    if (p.debug()) {
      ex.respond(200, ProbeMetrics.debug(p.targetText(), r));
      return;
    }
    // always the text format, numbers as client_golang writes them: blackbox_exporter's answer
    ex.respond(200, ProbeMetrics.CONTENT_TYPE, ProbeMetrics.body(r));
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
   * blackbox_exporter's rule: the scraper's timeout minus the offset, capped by the module's
   * timeout; without a header (or with 0) 120 s. Then a ceiling of our own: a header above {@link
   * #MAX_SCRAPE_TIMEOUT} counts as that, so no request makes a probe longer than the module's
   * timeout or 120 s. A header that is no number, NaN, infinite or negative is refused. Never
   * below 1 ms.
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
      scrape = Math.min(scrape, MAX_SCRAPE_TIMEOUT);
    }
    double max = scrape - ProbeMetrics.seconds(settings.timeoutOffset());
    double mod = ProbeMetrics.seconds(module.timeout());
    double s = mod > 0 && (mod < max || max <= 0) ? mod : max;
    return Duration.ofNanos(Math.max(1_000_000L, (long) (s * 1e9)));
  }

  private void metricsPage(WebServer.Exchange ex) {
    write(ex, metrics.registry.scrape());
  }

  private void write(WebServer.Exchange ex, MetricSnapshots m) {
    ExpositionFormatWriter w = formats.findWriter(ex.headers.get("Accept"));
    ByteArrayOutputStream out = new ByteArrayOutputStream(2048);
    try {
      w.write(out, m);
    } catch (IOException e) {
      throw new IllegalStateException(e); // a ByteArrayOutputStream does not fail
    }
    // numbers as client_golang writes them, as on /probe (1, 3.668918509e+09)
    ex.respond(200, w.getContentType(), GoText.exposition(out.toByteArray(), w.getContentType()));
  }

  private void reloadEndpoint(WebServer.Exchange ex) {
    if (!ex.method.equals("POST") && !ex.method.equals("PUT")) {
      reject(ex, 405, "method", "use POST for /-/reload");
      return;
    }
    if (settings.configFile() == null) {
      ex.respond(400, "no --config file to reload\n");
      return;
    }
    boolean ok = reload("POST /-/reload");
    ex.respond(ok ? 200 : 500, ok ? "reloaded\n" : "reload failed, previous configuration kept\n");
  }

  private void index(WebServer.Exchange ex) {
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
    ex.respond(200, "text/html; charset=utf-8", b.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static String html(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  private void reject(WebServer.Exchange ex, int status, String reason, String line,
      String... headers) {
    metrics.rejected.labelValues(reason).inc();
    ex.respond(status, Config.oneLine(line) + "\n", headers);
  }

  private static boolean isGet(WebServer.Exchange ex) {
    return ex.method.equals("GET") || ex.method.equals("HEAD");
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
   * Stops accepting, lets probes in flight finish for {@link #GRACE}, cancels the rest (their
   * clients get the {@code cancelled} answer), closes the server; returns within about 2 s.
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
    server.stopAccepting();
    try {
      long end = System.nanoTime() + GRACE.toNanos();
      while (!probing.isEmpty() && System.nanoTime() < end) {
        Thread.sleep(10);
      }
      probing.forEach(ProbeJob::cancel);
      end = System.nanoTime() + 300_000_000L;
      while (!probing.isEmpty() && System.nanoTime() < end) {
        Thread.sleep(10); // the cancelled probes answer
      }
    } catch (InterruptedException e) {
      probing.forEach(ProbeJob::cancel);
      Thread.currentThread().interrupt();
    }
    server.close();
    probes.shutdownNow();
    control.shutdownNow();
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
