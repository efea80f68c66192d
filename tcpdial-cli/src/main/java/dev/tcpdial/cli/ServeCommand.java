package dev.tcpdial.cli;

import dev.tcpdial.Resolver;
import dev.tcpdial.Target;
import dev.tcpdial.exporter.Cidrs;
import dev.tcpdial.exporter.Config;
import dev.tcpdial.exporter.Exporter;
import dev.tcpdial.exporter.GoDuration;
import dev.tcpdial.exporter.HttpLimits;
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

  @Option(names = "--listen", paramLabel = "ADDR:PORT", defaultValue = "127.0.0.1:9115",
      description = "Address to listen on (default: ${DEFAULT-VALUE}; loopback, because /probe"
          + " dials whatever it is asked to).")
  String listen;

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
          + " (default: ${DEFAULT-VALUE}); the module's timeout caps the rest.")
  String timeoutOffset;

  @Option(names = "--allow", paramLabel = "CIDR[,CIDR...]",
      description = "Address blocks /probe may dial (default: any); checked on every resolved"
          + " address before any packet; a denied target gets 403.")
  String allow;

  @Option(names = "--max-concurrent", paramLabel = "N",
      description = "Probes at once; past it 503 with Retry-After (default: from the descriptor"
          + " limit).")
  Integer maxConcurrent;

  @Option(names = "--max-connections", paramLabel = "N",
      description = "HTTP connections at once; past it a new one is closed as it is accepted"
          + " (default: from the descriptor limit, 64 to 4096).")
  Integer maxConnections;

  @Option(names = "--request-timeout", paramLabel = "DURATION", defaultValue = "10s",
      description = "Time a client has to send its request (line and headers) from its first"
          + " byte, and a new connection to send anything; then it is closed: slow or idle"
          + " clients hold no thread for long (default: ${DEFAULT-VALUE}; whole seconds).")
  String requestTimeout;

  @Override
  public Integer call() throws Exception {
    if (configCheck) {
      return checkConfig();
    }
    Exporter.Settings settings = settings();
    int connections = maxConnections == null
        ? HttpLimits.defaultMaxConnections(softLimit()) : maxConnections;
    if (connections < 1 || connections > 1_000_000) {
      throw new ParameterException(spec.commandLine(), "bad --max-connections " + connections
          + ": 1-1000000");
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
    HttpLimits.install(connections, request);
    PrintWriter err = spec.commandLine().getErr();
    Exporter exporter = new Exporter(settings, Resolver.system(), err);
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
    err.println("tcpdial serve: stopping (signal), " + exporter.inFlight() + " probe(s) in flight");
    err.flush();
    exporter.close();
    err.println("tcpdial serve: stopped");
    err.flush();
    return 0;
  }

  Exporter.Settings settings() {
    InetSocketAddress address;
    try {
      // port 0: any free port (the start line says which)
      boolean any = listen.endsWith(":0");
      Target t = Target.parse(any ? listen.substring(0, listen.length() - 1) + "1" : listen);
      InetAddress a = t.literal().isPresent() ? t.literal().get()
          : InetAddress.getByName(t.host());
      address = new InetSocketAddress(a, any ? 0 : t.port());
    } catch (IllegalArgumentException | UnknownHostException e) {
      throw new ParameterException(spec.commandLine(), "bad --listen '" + listen + "': "
          + e.getMessage());
    }
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
