package dev.tcpdial.cli;

import dev.tcpdial.Resolver;
import dev.tcpdial.Target;
import dev.tcpdial.exporter.Cidrs;
import dev.tcpdial.exporter.Config;
import dev.tcpdial.exporter.Exporter;
import dev.tcpdial.exporter.GoDuration;
import dev.tcpdial.exporter.Log;
import dev.tcpdial.exporter.Signals;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code tcpdial serve}: a Prometheus probe exporter, drop-in for blackbox_exporter's TCP probes.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a Prometheus probe exporter: GET /probe?target=HOST:PORT&module=NAME dials once and"
          + " answers blackbox_exporter's metrics (probe_success, probe_duration_seconds, ...)"
          + " plus probe_tcp_outcome{outcome,errno}: why a connect failed. Reads an existing"
          + " blackbox.yml (prober: tcp modules); dials continuous targets on their own interval"
          + " (/metrics: tcpdial_connects_total, tcpdial_connect_seconds).",
      "Endpoints: /probe, /metrics, /, /-/healthy, /-/ready, POST /-/reload (or SIGHUP).",
    },
    footerHeading = "%nExit codes:%n",
    footer = {
      "  0  stopped by SIGTERM or Ctrl-C (probes in flight finish or are cancelled within 2 s)",
      "  2  bad option or configuration at start (one line on stderr)",
      "  1  the address cannot be bound, or another error",
      "  --config.check exits 0 when the file is accepted, 2 when it is refused (one line)",
    })
public final class ServeCommand implements Callable<Integer> {
  /** Options at their defaults, before picocli sets them. */
  public ServeCommand() {}

  @Spec
  CommandSpec spec;

  // ---- listen, web, log and limit options ----

  @Option(names = {"--web.listen-address", "--listen"}, paramLabel = "[HOST]:PORT",
      defaultValue = "127.0.0.1:9115",
      description = "Address to listen on (default: ${DEFAULT-VALUE}; loopback, because /probe"
          + " dials whatever it is asked to). ':9115' listens on every address, as"
          + " blackbox_exporter's default does; '[::1]:9115' for IPv6; port 0 takes a free one.")
  String listen;

  @Option(names = "--web.config.file", paramLabel = "FILE",
      description = "The Prometheus exporter toolkit's web configuration: tls_server_config"
          + " (cert_file, key_file, client_auth_type, client_ca_file, min_version, max_version,"
          + " cipher_suites, curve_preferences), basic_auth_users (bcrypt hashes),"
          + " http_server_config.headers, rate_limit. TLS is on when it is there at start; the"
          + " file and its certificates are read again when they change (users, headers and"
          + " certificates apply to the next request or connection). Unknown fields are refused.")
  Path webConfig;

  @Option(names = "--log.level", paramLabel = "LEVEL", defaultValue = "info",
      description = "debug, info, warn or error (default: ${DEFAULT-VALUE}). debug adds a line"
          + " per denied, cancelled or refused request.")
  String logLevel;

  @Option(names = "--log.format", paramLabel = "FORMAT", defaultValue = "logfmt",
      description = "logfmt (ts=... level=info msg=\"...\") or json, one event a line on stderr"
          + " (default: ${DEFAULT-VALUE}).")
  String logFormat;

  // ---- the configuration file (blackbox_exporter's flag names too) ----

  @Option(names = {"--config", "--config.file"}, paramLabel = "FILE",
      description = "YAML file of modules (a blackbox.yml works as is) and continuous targets,"
          + " checked as blackbox_exporter checks it; without it a built-in tcp_connect module"
          + " (timeout 5s) serves.")
  Path config;

  @Option(names = "--config.check",
      description = "Check the --config file as blackbox_exporter does, say what would be"
          + " served (and why a module would not), and exit: 0 when it is accepted, 2 when it"
          + " is refused (one line naming the file, line and field).")
  boolean configCheck;

  /** {@code --config.check}: one line on stderr, 0 accepted, 2 refused (as a usage error). */
  private int checkConfig() {
    if (config == null) {
      throw new ParameterException(spec.commandLine(), "--config.check: no --config FILE to"
          + " check");
    }
    Config c;
    try {
      c = Config.load(config);
    } catch (Config.Invalid e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    PrintWriter err = spec.commandLine().getErr();
    err.println("tcpdial serve: " + Exporter.describe(c) + ": ok");
    err.flush();
    return 0;
  }

  // ---- end of the configuration file's options ----

  @Option(names = "--timeout-offset", paramLabel = "DURATION", defaultValue = "500ms",
      description = "Subtracted from the scraper's X-Prometheus-Scrape-Timeout-Seconds"
          + " (default: ${DEFAULT-VALUE}); the module's timeout caps the rest. The header counts"
          + " for 120s at most (no header: 120s), so no request makes a probe longer than the"
          + " module's timeout or 120s.")
  String timeoutOffset;

  @Option(names = "--allow", paramLabel = "CIDR[,CIDR...]",
      description = "Address blocks /probe may dial (default: any); checked on every resolved"
          + " address before any packet; a denied target gets 403.")
  String allow;

  @Option(names = "--max-concurrent", paramLabel = "N",
      description = "Probes at once; past it 503 with Retry-After (default: a quarter of the"
          + " descriptor limit less 128, 16 to 4096).")
  Integer maxConcurrent;

  @Option(names = "--max-connections", paramLabel = "N",
      description = "HTTP connections at once (default: --max-concurrent plus a quarter of the"
          + " descriptor limit less 128, at least --max-concurrent + " + (2 * Exporter.RESERVE)
          + "). It must leave " + Exporter.RESERVE + " beside --max-concurrent: at the limit a"
          + " new connection replaces the one idle (or still sending its request) longest, and"
          + " only probes and a few control requests are ever busy, so /metrics and /-/healthy"
          + " always get in.")
  Integer maxConnections;

  @Option(names = "--request-timeout", paramLabel = "DURATION", defaultValue = "10s",
      description = "Time a connection has to deliver a whole request (TLS handshake, line,"
          + " headers, body) from its accept, or from its first byte after an answer; then it"
          + " is closed, so slow or silent clients hold nothing for long (default:"
          + " ${DEFAULT-VALUE}, 1s to 1h). A connection idle between requests is closed after"
          + " 2 minutes.")
  String requestTimeout;

  /** The limits, web configuration and log, checked; a bad value is a usage error. */
  Exporter.Http http(int concurrent) {
    long budget = Math.max(0, softLimit() - 128);
    int connections = maxConnections == null
        ? (int) Math.min(1_000_000, concurrent + Math.max(2L * Exporter.RESERVE, budget / 4))
        : maxConnections;
    if (connections < 1 || connections > 1_000_000) {
      throw new ParameterException(spec.commandLine(), "bad --max-connections " + connections
          + ": 1-1000000");
    }
    if (connections < concurrent + Exporter.RESERVE) {
      throw new ParameterException(spec.commandLine(), "bad --max-connections " + connections
          + ": at least --max-concurrent + " + Exporter.RESERVE + " ("
          + (concurrent + Exporter.RESERVE) + "), room for /metrics and the health endpoints");
    }
    Duration request;
    try {
      request = GoDuration.parse(requestTimeout);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "bad --request-timeout: " + e.getMessage());
    }
    if (request.compareTo(Duration.ofSeconds(1)) < 0 || request.compareTo(Duration.ofHours(1)) > 0) {
      throw new ParameterException(spec.commandLine(), "bad --request-timeout " + requestTimeout
          + ": 1s to 1h");
    }
    if (webConfig != null && !Files.isReadable(webConfig)) {
      throw new ParameterException(spec.commandLine(), "cannot read --web.config.file "
          + webConfig);
    }
    return new Exporter.Http(connections, request, webConfig);
  }

  Log log() {
    try {
      return new Log(spec.commandLine().getErr(), Log.Level.parse(logLevel),
          Log.Format.parse(logFormat));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "bad " + (e.getMessage().contains("json")
          ? "--log.format " : "--log.level ") + e.getMessage());
    }
  }

  /** {@code [HOST]:PORT}; no host is every address (the wildcard); port 0 is any free one. */
  InetSocketAddress listenAddress() {
    try {
      if (listen.startsWith(":")) {
        int port = Integer.parseInt(listen.substring(1));
        if (port < 0 || port > 65535) {
          throw new IllegalArgumentException("port " + port + " out of 0-65535");
        }
        return new InetSocketAddress(port);
      }
      // port 0: any free port (the start line says which)
      boolean any = listen.endsWith(":0");
      Target t = Target.parse(any ? listen.substring(0, listen.length() - 1) + "1" : listen);
      InetAddress a = t.literal().isPresent() ? t.literal().get()
          : InetAddress.getByName(t.host());
      return new InetSocketAddress(a, any ? 0 : t.port());
    } catch (IllegalArgumentException | UnknownHostException e) {
      // named as given: --listen is the older spelling
      boolean older = spec.commandLine().getParseResult() != null
          && spec.commandLine().getParseResult().originalArgs().stream()
              .anyMatch(a -> a.equals("--listen") || a.startsWith("--listen="));
      String name = older ? "--listen" : "--web.listen-address";
      throw new ParameterException(spec.commandLine(), "bad " + name + " '" + listen + "': "
          + e.getMessage());
    }
  }

  // ---- end of listen, web, log and limit options ----

  @Override
  public Integer call() throws Exception {
    if (configCheck) {
      return checkConfig();
    }
    Exporter.Settings settings = settings();
    Exporter.Http http = http(settings.maxConcurrent());
    Log log = log();
    Exporter exporter = new Exporter(settings, http, Resolver.system(), log);
    try {
      exporter.start();
    } catch (Config.Invalid e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    } catch (java.net.BindException e) {
      throw new IllegalStateException("cannot listen on " + listen + ": " + e.getMessage());
    }
    CountDownLatch stop = new CountDownLatch(1);
    Signals.install(stop::countDown,
        () -> Thread.ofVirtual().start(() -> exporter.reload("SIGHUP")));
    stop.await();
    log.info("stopping (signal), " + exporter.inFlight() + " probe(s) in flight");
    exporter.close();
    log.info("stopped");
    return 0;
  }

  Exporter.Settings settings() {
    InetSocketAddress address = listenAddress();
    Duration offset;
    try {
      offset = GoDuration.parse(timeoutOffset);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "bad --timeout-offset: " + e.getMessage());
    }
    Cidrs blocks = Cidrs.ANY;
    if (allow != null) {
      try {
        blocks = Cidrs.parse(allow);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "bad --allow: " + e.getMessage());
      }
    }
    int max = maxConcurrent == null ? defaultMaxConcurrent() : maxConcurrent;
    if (max < 1 || max > 1_000_000) {
      throw new ParameterException(spec.commandLine(), "bad --max-concurrent " + max
          + ": 1-1000000");
    }
    if (config != null && !Files.isReadable(config)) {
      throw new ParameterException(spec.commandLine(), "cannot read --config " + config);
    }
    return new Exporter.Settings(address, config, offset, blocks, max);
  }

  /**
   * A quarter of the descriptors left after 128 for the JVM and the HTTP connections: a probe
   * holds up to a few sockets at once (Happy Eyeballs), its scrape one more. 16 to 4096.
   */
  static int defaultMaxConcurrent() {
    return (int) Math.max(16, Math.min(4096, (softLimit() - 128) / 4));
  }

  /** The soft descriptor limit; 1024 where it cannot be read. */
  static long softLimit() {
    long soft = 1024;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
        if (line.startsWith("Max open files")) {
          String v = line.substring("Max open files".length()).strip().split("\\s+")[0];
          soft = v.equals("unlimited") ? 1 << 20 : Long.parseLong(v);
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not Linux: 1024
    }
    return soft;
  }
}
