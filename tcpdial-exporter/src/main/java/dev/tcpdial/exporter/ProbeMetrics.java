package dev.tcpdial.exporter;

import dev.tcpdial.Attempt;
import dev.tcpdial.DialResult;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The metrics one {@code /probe} answers with: blackbox_exporter's, with its names, labels and
 * values, then tcpdial's own (the outcome of each stage). Written as client_golang writes
 * blackbox_exporter's answer, in the text format 0.0.4: metrics sorted by name, labels by name,
 * numbers in Go's shortest form ({@link GoText#number}).
 */
final class ProbeMetrics {
  private ProbeMetrics() {}

  /** The content type of {@link #text}: client_golang's for the text format. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /** Go's {@code time.Time{}.Unix()}: what blackbox_exporter reports for no certificate. */
  static final double GO_ZERO_TIME = -62135596800.0;

  /** One gauge series. */
  record Series(Map<String, String> labels, double value) {}

  /** One gauge and its series. */
  record Metric(String name, String help, List<Series> series) {}

  /** Every metric of {@code p}, sorted by name. */
  static List<Metric> of(Prober.Result p) {
    DialResult r = p.dial();
    List<Metric> s = new ArrayList<>();
    s.add(gauge("probe_success", "Displays whether or not the probe was a success",
        p.success() ? 1 : 0));
    s.add(gauge("probe_duration_seconds", "Returns how long the probe took to complete in seconds",
        seconds(p.duration())));
    s.add(gauge("probe_timeout_seconds", "Returns how long the probe timeout is in seconds",
        seconds(p.deadline())));
    if (p.targetError() == null) {
      // blackbox_exporter registers these once the target splits into host and port
      s.add(gauge("probe_dns_lookup_time_seconds",
          "Returns the time taken for probe dns lookup in seconds", seconds(p.resolution())));
      s.add(gauge("probe_ip_protocol", "Specifies whether probe ip protocol is IP4 or IP6",
          p.ipProtocol()));
      s.add(gauge("probe_ip_addr_hash",
          "Specifies the hash of IP address. It's useful to detect if the IP address changes.",
          p.ipHash()));
    }
    Dialogue.Result q = p.query();
    s.add(gauge("probe_failed_due_to_regex", "Indicates if probe failed due to regex",
        q.failedDueToRegex()));
    s.add(gauge("probe_failed_due_to_bytes", "Indicates if probe failed due to bytes",
        q.failedDueToBytes()));
    if (q.expectInfo() != null) {
      s.add(new Metric("probe_expect_info", "Explicit content matched",
          List.of(new Series(q.expectInfo(), 1))));
    }
    TlsStage.Result t = p.tls();
    if (t.ok()) {
      s.add(gauge("probe_ssl_earliest_cert_expiry", "Returns last SSL chain expiry in unixtime",
          earliest(t.peer())));
      s.add(gauge("probe_ssl_last_chain_expiry_timestamp_seconds",
          "Returns last SSL chain expiry in timestamp",
          t.verified().isEmpty() ? GO_ZERO_TIME : earliest(t.verified())));
      s.add(new Metric("probe_ssl_last_chain_info", "Contains SSL leaf certificate information",
          List.of(new Series(chainInfo(t.peer().getFirst()), 1))));
      s.add(new Metric("probe_tls_version_info",
          "Returns the TLS version used or NaN when unknown",
          List.of(new Series(Map.of("version", t.version()), 1))));
    }
    s.add(new Metric("probe_tcp_outcome",
        "How the connect ended: outcome (connected, refused, timeout, host_unreachable, ...)"
            + " and the kernel's errno name (empty when none); always 1",
        List.of(new Series(Map.of("errno", r.errno() == null ? "" : r.errno().name(),
            "outcome", p.targetError() != null ? "bad_target" : r.outcome().label()), 1))));
    s.add(gauge("probe_tcp_errno", "The kernel's errno number for the outcome, 0 when none",
        r.errno() == null ? 0 : r.errno().number()));
    s.add(gauge("probe_tcp_attempts", "Connection attempts made (addresses and retries)",
        r.attempts().size()));
    Attempt deciding = p.decidingAttempt();
    s.add(gauge("probe_tcp_connect_seconds",
        "Duration of the attempt that decided the outcome, in seconds",
        deciding == null ? 0 : seconds(deciding.elapsed())));
    s.add(new Metric("probe_tls_outcome",
        "How the TLS handshake ended: outcome (established, certificate_expired,"
            + " unknown_authority, hostname_mismatch, protocol_version, handshake_alert, not_tls,"
            + " reset, closed, timeout, not_configured, not_reached, ...) and the TLS alert's name"
            + " (empty when none); always 1",
        List.of(new Series(Map.of("alert", t.alert(), "outcome", t.outcome()), 1))));
    s.add(new Metric("probe_query_outcome",
        "How the query_response dialogue ended: outcome (completed, expect_mismatch,"
            + " bytes_mismatch, closed_by_peer, reset, timeout, starttls_failed, not_configured,"
            + " not_reached, ...) and the step it ended at (1 for the first, empty when none);"
            + " always 1",
        List.of(new Series(Map.of("outcome", q.outcome(), "step", q.step() == 0 ? ""
            : Integer.toString(q.step())), 1))));
    icmp(s, r.icmp(), p.module().where().icmpFromLabel());
    if (p.trace() != null) {
      trace(s, p.trace());
    }
    s.sort(Comparator.comparing(Metric::name));
    return s;
  }

  /**
   * {@code probe_tcp_icmp}, present when an ICMP error (or this host) decided the failure: its
   * type, code and name ({@code time-exceeded}, {@code admin-prohibited}; empty for a local route
   * with no ICMP), who sent it ({@code icmp}, {@code local}, {@code unread}) and, when the module
   * asks for it, the sender's address ({@code from}).
   */
  private static void icmp(List<Metric> s, dev.tcpdial.IcmpReport icmp, boolean fromLabel) {
    if (icmp == null) {
      return;
    }
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("code", icmp.hasType() ? Integer.toString(icmp.code()) : "");
    if (fromLabel) {
      labels.put("from", icmp.fromText());
    }
    labels.put("name", icmp.name());
    labels.put("origin", icmp.origin().label());
    labels.put("type", icmp.hasType() ? Integer.toString(icmp.type()) : "");
    s.add(new Metric("probe_tcp_icmp",
        "Who answered the failed connect: the ICMP (ICMPv6) type, code and name, origin icmp"
            + " (another node), local (this host) or unread; from: the sender, when the module"
            + " asks for it; always 1",
        List.of(new Series(labels, 1))));
  }

  /** The path trace made because the probe failed ({@code tcpdial.trace_on_failure}). */
  private static void trace(List<Metric> s, dev.tcpdial.Trace t) {
    s.add(gauge("probe_tcp_trace_hops", "The hop the path trace's verdict names: the target's"
        + " when reached, the last that answered when the SYN is dropped, the refusing node's"
        + " when refused; 0 for none", t.verdict().hop()));
    dev.tcpdial.Trace.Hop last = t.lastAnswering();
    s.add(new Metric("probe_tcp_trace_last_hop_info",
        "The last hop of the path trace that answered: its address (empty when none did)"
            + " and the trace's verdict (reached, dropped, refused, loop, local, incomplete,"
            + " not_traced); always 1",
        List.of(new Series(Map.of("address", last == null ? ""
            : Prober.host(last.addresses().getFirst()), "verdict", t.verdict().kind().label()),
            1))));
  }

  /** {@code getEarliestCertExpiry}: the soonest NotAfter, as Unix seconds. */
  static double earliest(List<X509Certificate> certs) {
    long min = Long.MAX_VALUE;
    for (X509Certificate c : certs) {
      min = Math.min(min, Math.floorDiv(c.getNotAfter().getTime(), 1000L));
    }
    return certs.isEmpty() ? GO_ZERO_TIME : min;
  }

  /** {@code probe_ssl_last_chain_info}'s labels for the leaf, formatted as blackbox does. */
  static Map<String, String> chainInfo(X509Certificate leaf) {
    Map<String, String> l = new LinkedHashMap<>();
    l.put("fingerprint_sha256", fingerprint(leaf));
    l.put("issuer", GoText.name(leaf.getIssuerX500Principal().getEncoded()));
    l.put("serialnumber", GoText.serial(leaf.getSerialNumber()));
    l.put("subject", GoText.name(leaf.getSubjectX500Principal().getEncoded()));
    l.put("subjectalternative", String.join(",", dnsNames(leaf)));
    return l;
  }

  static String fingerprint(X509Certificate c) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  static List<String> dnsNames(X509Certificate c) {
    List<String> out = new ArrayList<>();
    try {
      if (c.getSubjectAlternativeNames() != null) {
        for (List<?> san : c.getSubjectAlternativeNames()) {
          if ((Integer) san.get(0) == 2) {
            out.add((String) san.get(1));
          }
        }
      }
    } catch (CertificateParsingException e) {
      // none, as Go would have refused the certificate
    }
    return out;
  }

  private static Metric gauge(String name, String help, double value) {
    return new Metric(name, help, List.of(new Series(Map.of(), value)));
  }

  static double seconds(java.time.Duration d) {
    return d.toNanos() / 1e9;
  }

  /** The text format 0.0.4 as client_golang writes it. */
  static String text(List<Metric> metrics) {
    StringBuilder b = new StringBuilder(2048);
    for (Metric m : metrics) {
      b.append("# HELP ").append(m.name()).append(' ').append(GoText.help(m.help())).append('\n');
      b.append("# TYPE ").append(m.name()).append(" gauge\n");
      for (Series s : m.series()) {
        b.append(m.name());
        if (!s.labels().isEmpty()) {
          b.append('{');
          String sep = "";
          for (Map.Entry<String, String> l : new TreeMap<>(s.labels()).entrySet()) {
            b.append(sep).append(l.getKey()).append("=\"").append(GoText.labelValue(l.getValue()))
                .append('"');
            sep = ",";
          }
          b.append('}');
        }
        b.append(' ').append(GoText.number(s.value())).append('\n');
      }
    }
    return b.toString();
  }

  /** {@code /probe}'s body. */
  static byte[] body(Prober.Result p) {
    return text(of(p)).getBytes(StandardCharsets.UTF_8);
  }

  /** {@code &debug=true}: every stage, every attempt, the dialogue, the chain, the metrics. */
  static String debug(String target, Prober.Result p) {
    DialResult r = p.dial();
    StringBuilder b = new StringBuilder();
    b.append("Probe of ").append(target).append(" with module ").append(p.module().name())
        .append(": ").append(p.success() ? "success" : "failure").append('\n');
    b.append("deadline ").append(GoDuration.format(p.deadline()))
        .append(String.format(Locale.ROOT, ", took %.6f s, resolution %.6f s, engine %s%n",
            seconds(p.duration()), seconds(p.resolution()), r.engine().label()));
    b.append("addresses: ").append(r.addresses().isEmpty() ? "-" : String.join(" ",
        r.addresses().stream().map(Prober::host).toList())).append('\n');
    b.append("\nStages:\n");
    b.append("  connect: ").append(r.outcome().label())
        .append(r.errno() == null ? "" : " " + r.errno().name())
        .append(r.detail() == null ? "" : " (" + r.detail() + ")").append('\n');
    TlsStage.Result t = p.tls();
    b.append("  tls: ").append(t.outcome()).append(t.alert().isEmpty() ? "" : " " + t.alert())
        .append(t.detail() == null ? "" : " (" + t.detail() + ")").append('\n');
    Dialogue.Result q = p.query();
    b.append("  query_response: ").append(q.outcome())
        .append(q.step() == 0 ? "" : " at step " + q.step()).append('\n');
    b.append("\nAttempts:\n");
    if (r.attempts().isEmpty()) {
      b.append("  (none)\n");
    }
    for (Attempt a : r.attempts()) {
      b.append(String.format(Locale.ROOT,
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
    if (!t.peer().isEmpty()) {
      b.append("\nCertificates the server sent:\n");
      chain(b, t.peer());
      b.append("Verified chain:\n");
      if (t.verified().isEmpty()) {
        b.append("  (none)\n");
      } else {
        chain(b, t.verified());
      }
    }
    if (!q.transcript().isEmpty()) {
      b.append("\nDialogue:\n");
      for (String line : q.transcript()) {
        b.append("  ").append(line).append('\n');
      }
    }
    b.append("\nMetrics that would have been returned:\n").append(text(of(p)));
    b.append("\nModule configuration:\n").append(p.module().yaml());
    if (!p.module().yaml().endsWith("\n")) {
      b.append('\n');
    }
    return b.toString();
  }

  private static void chain(StringBuilder b, List<X509Certificate> certs) {
    int i = 0;
    for (X509Certificate c : certs) {
      b.append("  #").append(i++).append(" subject=")
          .append(GoText.name(c.getSubjectX500Principal().getEncoded()))
          .append(" issuer=").append(GoText.name(c.getIssuerX500Principal().getEncoded()))
          .append(" not_before=").append(c.getNotBefore().toInstant())
          .append(" not_after=").append(c.getNotAfter().toInstant())
          .append(" serial=").append(GoText.serial(c.getSerialNumber()))
          .append(" sha256=").append(fingerprint(c)).append('\n');
    }
  }
}
