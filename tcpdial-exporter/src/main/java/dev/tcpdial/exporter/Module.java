package dev.tcpdial.exporter;

import dev.tcpdial.Family;
import dev.tcpdial.PortState;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;

/**
 * A served {@code prober: tcp} module, validated. The blackbox_exporter fields keep their meaning
 * there; tcpdial's own sit under {@code tcpdial:}.
 *
 * @param name the module's name
 * @param timeout {@code timeout}: caps the probe's deadline; zero = the scrape timeout alone
 * @param preferIp6 {@code tcp.preferred_ip_protocol}: ip6 (blackbox_exporter's default) or ip4
 * @param fallback {@code tcp.ip_protocol_fallback} (default true): may the other family be used
 * @param source {@code tcp.source_ip_address}, or null
 * @param tls {@code tcp.tls}: a TLS handshake right after the connect
 * @param tlsConfig {@code tcp.tls_config}, for {@code tls} and for a {@code starttls} step;
 *     {@link TlsConfig#DEFAULT} when not given
 * @param queryResponse {@code tcp.query_response}: the dialogue after the connect (and the
 *     handshake), in order; empty = none
 * @param happyEyeballs {@code tcpdial.happy_eyeballs} (default true): every address, RFC 8305;
 *     false dials the single address blackbox_exporter would pick
 * @param attemptDelay {@code tcpdial.attempt_delay}, or null for the library's 250 ms
 * @param synRetries {@code tcpdial.syn_retries} (TCP_SYNCNT), 0 = the system's
 * @param retries {@code tcpdial.retries}: dials retried after a timeout or local failure
 * @param family {@code tcpdial.family}: any, ipv4, ipv6 (default any)
 * @param expect {@code tcpdial.expect}: open, closed or filtered; null = open
 * @param yaml the module as written, for the debug page
 * @param where {@code tcpdial.icmp_from_label} and {@code tcpdial.trace_on_failure}
 */
record Module(
    String name,
    Duration timeout,
    boolean preferIp6,
    boolean fallback,
    InetAddress source,
    boolean tls,
    TlsConfig tlsConfig,
    List<QueryStep> queryResponse,
    boolean happyEyeballs,
    Duration attemptDelay,
    int synRetries,
    int retries,
    Family family,
    PortState expect,
    String yaml,
    Where where) {

  /**
   * Who answered a failed probe, in the metrics: {@code probe_tcp_icmp} always has the ICMP
   * type, code and name; its {@code from} label (the sender's address) only with {@code
   * tcpdial.icmp_from_label: true}, since a label per router address multiplies the series. With
   * {@code tcpdial.trace_on_failure: true} the connect gets half of the probe's deadline and a
   * failed one is followed by a path trace within what is left ({@code probe_tcp_trace_hops},
   * {@code probe_tcp_trace_last_hop_info}).
   *
   * @param icmpFromLabel {@code tcpdial.icmp_from_label} (default false)
   * @param traceOnFailure {@code tcpdial.trace_on_failure} (default false)
   */
  record Where(boolean icmpFromLabel, boolean traceOnFailure) {
    /** Neither. */
    static final Where NONE = new Where(false, false);
  }

  /**
   * Copies the steps; no {@code tls_config} is {@link TlsConfig#DEFAULT}, no {@code where} is
   * {@link Where#NONE}.
   */
  Module {
    tlsConfig = tlsConfig == null ? TlsConfig.DEFAULT : tlsConfig;
    queryResponse = List.copyOf(queryResponse);
    where = where == null ? Where.NONE : where;
  }

  /** A plain connect module: no TLS, no dialogue, neither {@link Where} key. */
  Module(String name, Duration timeout, boolean preferIp6, boolean fallback, InetAddress source,
      boolean happyEyeballs, Duration attemptDelay, int synRetries, int retries, Family family,
      PortState expect, String yaml) {
    this(name, timeout, preferIp6, fallback, source, false, TlsConfig.DEFAULT, List.of(),
        happyEyeballs, attemptDelay, synRetries, retries, family, expect, yaml, Where.NONE);
  }

  /** The module served without a configuration file: a 5 s plain connect. */
  static Module builtIn() {
    return new Module("tcp_connect", Duration.ofSeconds(5), true, true, null, true, null, 0, 0,
        Family.ANY, null, "prober: tcp\ntimeout: 5s\n");
  }

  /** Whether the probe does more than connect (a handshake or a dialogue). */
  boolean converses() {
    return tls || !queryResponse.isEmpty();
  }

  /** What {@code probe_success} holds for. */
  PortState expectation() {
    return expect == null ? PortState.OPEN : expect;
  }
}
