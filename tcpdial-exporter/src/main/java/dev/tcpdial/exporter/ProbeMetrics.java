package dev.tcpdial.exporter;

import dev.tcpdial.Attempt;
import dev.tcpdial.DialResult;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The metrics one {@code /probe} answers with: blackbox_exporter's names with their meaning, then
 * tcpdial's own. Built as snapshots directly (no registry per probe).
 */
final class ProbeMetrics {
  private ProbeMetrics() {}

  static MetricSnapshots of(Prober.Result p) {
    DialResult r = p.dial();
    List<io.prometheus.metrics.model.snapshots.MetricSnapshot> s = new ArrayList<>();
    s.add(gauge("probe_success", "Displays whether or not the probe was a success",
        p.success() ? 1 : 0));
    s.add(gauge("probe_duration_seconds", "Returns how long the probe took to complete in seconds",
        seconds(r.elapsed())));
    s.add(gauge("probe_timeout_seconds", "Returns how long the probe timeout is in seconds",
        seconds(p.deadline())));
    s.add(gauge("probe_dns_lookup_time_seconds",
        "Returns the time taken for probe dns lookup in seconds", seconds(r.resolution())));
    s.add(gauge("probe_ip_protocol", "Specifies whether probe ip protocol is IP4 or IP6",
        p.ipProtocol()));
    s.add(gauge("probe_ip_addr_hash",
        "Specifies the hash of IP address. It's useful to detect if the IP address changes.",
        p.ipHash()));
    s.add(GaugeSnapshot.builder().name("probe_tcp_outcome")
        .help("How the connect ended: outcome (connected, refused, timeout, host_unreachable, ...)"
            + " and the kernel's errno name (empty when none); always 1")
        .dataPoint(GaugeDataPointSnapshot.builder()
            .labels(Labels.of("errno", r.errno() == null ? "" : r.errno().name(),
                "outcome", r.outcome().label()))
            .value(1).build())
        .build());
    s.add(gauge("probe_tcp_errno", "The kernel's errno number for the outcome, 0 when none",
        r.errno() == null ? 0 : r.errno().number()));
    s.add(gauge("probe_tcp_attempts", "Connection attempts made (addresses and retries)",
        r.attempts().size()));
    Attempt deciding = p.decidingAttempt();
    s.add(gauge("probe_tcp_connect_seconds",
        "Duration of the attempt that decided the outcome, in seconds",
        deciding == null ? 0 : seconds(deciding.elapsed())));
    icmp(s, r.icmp(), p.module().where().icmpFromLabel());
    if (p.trace() != null) {
      trace(s, p.trace());
    }
    return new MetricSnapshots(s);
  }

  /**
   * {@code probe_tcp_icmp}, present when an ICMP error (or this host) decided the failure: its
   * type, code and name ({@code time-exceeded}, {@code admin-prohibited}; empty for a local route
   * with no ICMP), who sent it ({@code icmp}, {@code local}, {@code unread}) and, when the module
   * asks for it, the sender's address ({@code from}).
   */
  private static void icmp(List<io.prometheus.metrics.model.snapshots.MetricSnapshot> s,
      dev.tcpdial.IcmpReport icmp, boolean fromLabel) {
    if (icmp == null) {
      return;
    }
    String type = icmp.hasType() ? Integer.toString(icmp.type()) : "";
    String code = icmp.hasType() ? Integer.toString(icmp.code()) : "";
    Labels labels = fromLabel
        ? Labels.of("code", code, "from", icmp.fromText(), "name", icmp.name(), "origin",
            icmp.origin().label(), "type", type)
        : Labels.of("code", code, "name", icmp.name(), "origin", icmp.origin().label(), "type",
            type);
    s.add(GaugeSnapshot.builder().name("probe_tcp_icmp")
        .help("Who answered the failed connect: the ICMP (ICMPv6) type, code and name, origin icmp"
            + " (another node), local (this host) or unread; from: the sender, when the module"
            + " asks for it; always 1")
        .dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(1).build())
        .build());
  }

  /** The path trace made because the probe failed ({@code tcpdial.trace_on_failure}). */
  private static void trace(List<io.prometheus.metrics.model.snapshots.MetricSnapshot> s,
      dev.tcpdial.Trace t) {
    s.add(gauge("probe_tcp_trace_hops", "The hop the path trace's verdict names: the target's"
        + " when reached, the last that answered when the SYN is dropped, the refusing node's"
        + " when refused; 0 for none", t.verdict().hop()));
    dev.tcpdial.Trace.Hop last = t.lastAnswering();
    s.add(GaugeSnapshot.builder().name("probe_tcp_trace_last_hop_info")
        .help("The last hop of the path trace that answered: its address (empty when none did)"
            + " and the trace's verdict (reached, dropped, refused, loop, local, incomplete,"
            + " not_traced); always 1")
        .dataPoint(GaugeDataPointSnapshot.builder()
            .labels(Labels.of("address", last == null ? "" : Prober.host(last.addresses()
                .getFirst()), "verdict", t.verdict().kind().label()))
            .value(1).build())
        .build());
  }

  private static GaugeSnapshot gauge(String name, String help, double value) {
    return GaugeSnapshot.builder().name(name).help(help)
        .dataPoint(GaugeDataPointSnapshot.builder().value(value).build()).build();
  }

  static double seconds(java.time.Duration d) {
    return d.toNanos() / 1e9;
  }

  /** The text format, for the debug page. */
  static String text(MetricSnapshots m) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ExpositionFormats.init().getPrometheusTextFormatWriter().write(out, m);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** {@code &debug=true}: every attempt, the metrics, the module. */
  static String debug(String target, Prober.Result p) {
    DialResult r = p.dial();
    StringBuilder b = new StringBuilder();
    b.append("Probe of ").append(target).append(" with module ").append(p.module().name())
        .append(": ").append(r.outcome().label())
        .append(r.errno() == null ? "" : " " + r.errno().name())
        .append(p.success() ? " (success)" : " (failure)").append('\n');
    b.append("deadline ").append(GoDuration.format(p.deadline()))
        .append(", took ")
        .append(String.format(java.util.Locale.ROOT, "%.6f", seconds(r.elapsed())))
        .append(" s, resolution ").append(String.format(java.util.Locale.ROOT, "%.6f",
            seconds(r.resolution()))).append(" s, engine ").append(r.engine().name().toLowerCase(
                java.util.Locale.ROOT)).append('\n');
    b.append("addresses: ").append(r.addresses().isEmpty() ? "-" : String.join(" ",
        r.addresses().stream().map(Prober::host).toList())).append('\n');
    if (r.detail() != null) {
      b.append("detail: ").append(r.detail()).append('\n');
    }
    b.append("\nAttempts:\n");
    if (r.attempts().isEmpty()) {
      b.append("  (none)\n");
    }
    for (Attempt a : r.attempts()) {
      b.append(String.format(java.util.Locale.ROOT,
          "  #%d %s start=%.6fs duration=%.6fs outcome=%s errno=%s why=%s%n", a.index(),
          Prober.address(a.remote()), seconds(a.start()), seconds(a.elapsed()),
          a.outcome().label(), a.errno() == null ? "" : a.errno().name(), a.reason().label()));
    }
    if (r.icmp() != null) {
      b.append("answered by: ").append(r.icmp().label()).append('\n');
    }
    if (p.trace() != null) {
      b.append("\nPath trace (tcpdial.trace_on_failure): ").append(p.trace().verdict().line())
          .append('\n');
      for (dev.tcpdial.Trace.Hop h : p.trace().hops()) {
        b.append("  ").append(h.ttl()).append(". ").append(h.addresses().isEmpty() ? "*"
            : Prober.host(h.addresses().getFirst())).append(' ')
            .append(h.probes().getFirst().what()).append('\n');
      }
    }
    b.append("\nMetrics that would have been returned:\n").append(text(of(p)));
    b.append("\nModule configuration:\n").append(p.module().yaml());
    if (!p.module().yaml().endsWith("\n")) {
      b.append('\n');
    }
    return b.toString();
  }
}
