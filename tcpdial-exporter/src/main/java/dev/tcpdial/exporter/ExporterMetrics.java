package dev.tcpdial.exporter;

import dev.tcpdial.Outcome;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What {@code /metrics} shows: the exporter's own health (probes by module and outcome, probes in
 * flight, rejected requests by reason, configuration reloads), the continuous targets' connects
 * and connect-time histograms, and the JVM's metrics. Label values come from small fixed sets or
 * from the configuration, never from a request.
 */
final class ExporterMetrics {
  /** Classic buckets from 100 µs to 10 s, three per decade. */
  static final double[] BUCKETS = {
    0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10,
  };

  final PrometheusRegistry registry = new PrometheusRegistry();
  final Counter probes = Counter.builder().name("tcpdial_probes_total")
      .help("Probes answered through /probe, by module and outcome")
      .labelNames("module", "outcome").register(registry);
  final Gauge inFlight = Gauge.builder().name("tcpdial_probes_in_flight")
      .help("Probes running now").register(registry);
  final Counter rejected = Counter.builder().name("tcpdial_requests_rejected_total")
      .help("Requests refused: bad_request (400), unserved_module (400), denied (403),"
          + " overloaded (503), not_found (404), method (405)")
      .labelNames("reason").register(registry);
  final Gauge reloadOk = Gauge.builder().name("tcpdial_config_last_reload_successful")
      .help("Whether the last configuration reload attempt was successful").register(registry);
  final Gauge reloadTime = Gauge.builder()
      .name("tcpdial_config_last_reload_success_timestamp_seconds")
      .help("Timestamp of the last successful configuration reload").register(registry);
  final Counter reloads = Counter.builder().name("tcpdial_config_reloads_total")
      .help("Configuration reloads, by result (success, failure)")
      .labelNames("result").register(registry);
  final Gauge modules = Gauge.builder().name("tcpdial_config_modules")
      .help("Modules in the configuration, served or not")
      .labelNames("state").register(registry);

  final Info buildInfo = Info.builder().name("tcpdial_build_info")
      .help("A metric with a constant '1' value labeled by version, revision (the git commit)"
          + " and java_version from which tcpdial was built")
      .labelNames("version", "revision", "java_version").register(registry);

  private volatile TargetMetrics targets;

  ExporterMetrics(boolean jvm) {
    for (String r : List.of("bad_request", "unserved_module", "denied", "overloaded")) {
      rejected.initLabelValues(r);
    }
    reloads.initLabelValues("success");
    reloads.initLabelValues("failure");
    String[] build = build();
    buildInfo.setLabelValues(build[0], build[1], System.getProperty("java.version", "unknown"));
    if (jvm) {
      JvmMetrics.builder().register(registry);
    }
  }

  /**
   * Version and git commit this was built from ({@code build.properties}, filled in by the
   * build); "unknown" for what the build could not tell (not built from a git checkout).
   */
  static String[] build() {
    java.util.Properties p = new java.util.Properties();
    try (java.io.InputStream in =
        ExporterMetrics.class.getResourceAsStream("/dev/tcpdial/exporter/build.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (java.io.IOException e) {
      // unknown
    }
    String version = p.getProperty("version", "");
    String revision = p.getProperty("revision", "");
    return new String[] {
      version.isEmpty() || version.startsWith("${") ? "unknown" : version,
      revision.isEmpty() || revision.startsWith("${") ? "unknown" : revision,
    };
  }

  /** The continuous targets' series; label names fixed per configuration. */
  static final class TargetMetrics {
    final List<String> extra;
    final Counter connects;
    final Histogram connectSeconds;

    TargetMetrics(List<String> extra, PrometheusRegistry registry) {
      this.extra = List.copyOf(extra);
      List<String> names = new ArrayList<>(List.of("target", "module", "outcome"));
      names.addAll(extra);
      connects = Counter.builder().name("tcpdial_connects_total")
          .help("Connects made to continuous targets, by outcome")
          .labelNames(names.toArray(String[]::new)).register(registry);
      names.remove("outcome");
      connectSeconds = Histogram.builder().name("tcpdial_connect_seconds")
          .help("Time to a connection for continuous targets (successful connects), in seconds")
          .unit(io.prometheus.metrics.model.snapshots.Unit.SECONDS)
          .classicUpperBounds(BUCKETS)
          .labelNames(names.toArray(String[]::new)).register(registry);
    }

    void unregister(PrometheusRegistry registry) {
      registry.unregister(connects);
      registry.unregister(connectSeconds);
    }

    /** Label values for {@code t}: target, module, then the extras (empty where not given). */
    List<String> labels(Config.ContinuousTarget t) {
      List<String> v = new ArrayList<>(List.of(t.target().toString(), t.module()));
      for (String e : extra) {
        v.add(t.labels().getOrDefault(e, ""));
      }
      return v;
    }

    void forget(Config.ContinuousTarget t) {
      List<String> v = labels(t);
      connectSeconds.remove(v.toArray(String[]::new));
      for (Outcome o : Outcome.values()) {
        List<String> w = new ArrayList<>(v);
        w.add(2, o.label());
        connects.remove(w.toArray(String[]::new));
      }
    }
  }

  /**
   * The target series for {@code next}: the same ones when the extra label names did not change
   * (counts go on, vanished targets' series are removed), else new ones.
   */
  synchronized TargetMetrics targetsFor(Config next, Config previous) {
    List<String> extra = List.copyOf(next.extraLabelNames());
    TargetMetrics t = targets;
    if (t != null && t.extra.equals(extra)) {
      Set<Config.ContinuousTarget> keep = Set.copyOf(next.targets());
      if (previous != null) {
        previous.targets().stream().filter(x -> !keep.contains(x)).forEach(t::forget);
      }
      return t;
    }
    if (t != null) {
      t.unregister(registry);
    }
    targets = new TargetMetrics(extra, registry);
    return targets;
  }
}
