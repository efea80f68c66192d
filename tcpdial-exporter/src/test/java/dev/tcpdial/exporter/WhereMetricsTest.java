package dev.tcpdial.exporter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tcpdial.Attempt;
import dev.tcpdial.DialResult;
import dev.tcpdial.Engine;
import dev.tcpdial.Errno;
import dev.tcpdial.IcmpReport;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.Target;
import dev.tcpdial.Trace;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Who answered, in the metrics: probe_tcp_icmp (its from label only when the module asks),
 * probe_tcp_trace_hops and probe_tcp_trace_last_hop_info when a trace was made; the module keys.
 */
class WhereMetricsTest {
  static final String YAML = """
      modules:
        plain:
          prober: tcp
        where:
          prober: tcp
          tcpdial:
            icmp_from_label: true
            trace_on_failure: true
      """;

  static DialResult prohibited() throws Exception {
    InetAddress target = InetAddress.getByName("198.18.23.2");
    InetSocketAddress to = new InetSocketAddress(target, 83);
    IcmpReport icmp = new IcmpReport(IcmpReport.Origin.ICMP, false, 3, 13,
        InetAddress.getByName("198.18.22.3"));
    return new DialResult(new Target("198.18.23.2", 83), Outcome.HOST_UNREACHABLE,
        Errno.EHOSTUNREACH, to, null, Duration.ofMillis(2), Duration.ZERO, List.of(target),
        Mode.SYNC, Engine.JDK, List.of(new Attempt(0, to, null, Outcome.HOST_UNREACHABLE,
            Errno.EHOSTUNREACH, Duration.ZERO, Duration.ofMillis(2), Attempt.Reason.FIRST, icmp)));
  }

  /** A plain connect's result: no TLS, no dialogue configured. */
  static Prober.Result result(Module m, DialResult r, Trace trace) {
    return new Prober.Result(m, Duration.ofSeconds(5), r, false, r.elapsed(), Duration.ZERO,
        TlsStage.Result.of(TlsStage.NOT_CONFIGURED, null), Dialogue.none(Dialogue.NOT_CONFIGURED),
        null, trace);
  }

  @Test
  void theModuleKeysAreReadAndCheckedAndOffByDefault() throws Exception {
    Config c = Config.parse(YAML, "f.yml");
    assertThat(c.modules().get("plain").where()).isEqualTo(Module.Where.NONE);
    assertThat(c.modules().get("where").where()).isEqualTo(new Module.Where(true, true));
    assertThatThrownBy(() -> Config.parse("modules:\n  a:\n    prober: tcp\n    tcpdial:\n"
        + "      trace_on_failure: often\n", "f.yml"))
        .isInstanceOf(Config.Invalid.class)
        .hasMessage("f.yml:5: modules.a.tcpdial.trace_on_failure: cannot unmarshal !!str `often`"
            + " into bool");
    // the keys are known to the schema: a misspelt one is refused and the list names both
    assertThatThrownBy(() -> Config.parse("modules:\n  a:\n    prober: tcp\n    tcpdial:\n"
        + "      trace_on_failures: true\n", "f.yml"))
        .isInstanceOf(Config.Invalid.class).hasMessageStartingWith("f.yml:5: ")
        .hasMessageContaining("trace_on_failures")
        .hasMessageContaining("icmp_from_label").hasMessageContaining("trace_on_failure)");
  }

  @Test
  void theSenderIsALabelOnlyWhenTheModuleAsks() throws Exception {
    Config c = Config.parse(YAML, "f.yml");
    String plain = ProbeMetrics.text(ProbeMetrics.of(result(c.modules().get("plain"),
        prohibited(), null)));
    assertThat(plain).contains("probe_tcp_icmp{code=\"13\",name=\"admin-prohibited\","
        + "origin=\"icmp\",type=\"3\"} 1\n").doesNotContain("from=")
        .doesNotContain("probe_tcp_trace");
    String where = ProbeMetrics.text(ProbeMetrics.of(result(c.modules().get("where"),
        prohibited(), null)));
    assertThat(where).contains("probe_tcp_icmp{code=\"13\",from=\"198.18.22.3\","
        + "name=\"admin-prohibited\",origin=\"icmp\",type=\"3\"} 1\n");
    // sorted among the others by name, as client_golang writes them
    assertThat(where.indexOf("# HELP probe_tcp_icmp ")).isGreaterThan(
        where.indexOf("# HELP probe_tcp_errno ")).isLessThan(
        where.indexOf("# HELP probe_tcp_outcome "));
  }

  @Test
  void aTraceGivesTheHopsAndTheLastAnsweringHop() throws Exception {
    Config c = Config.parse(YAML, "f.yml");
    InetAddress r1 = InetAddress.getByName("198.18.20.1");
    Trace.Probe p1 = new Trace.Probe(1, 0, Trace.Answer.TIME_EXCEEDED, r1, Duration.ofMillis(1),
        Duration.ZERO, Outcome.HOST_UNREACHABLE, Errno.EHOSTUNREACH, null);
    Trace.Probe p2 = new Trace.Probe(2, 0, Trace.Answer.SILENT, null, Duration.ofSeconds(1),
        Duration.ofMillis(2), Outcome.TIMEOUT, null, null);
    Trace t = new Trace(new Target("198.18.23.2", 82), null, null,
        List.of(new Trace.Hop(1, List.of(p1)), new Trace.Hop(2, List.of(p2))), null,
        new Trace.Verdict(Trace.Verdict.Kind.DROPPED, 1, r1, Duration.ofMillis(1),
            Outcome.TIMEOUT, null, null), Duration.ofSeconds(3), null);
    Prober.Result p = result(c.modules().get("where"), prohibited(), t);
    String m = ProbeMetrics.text(ProbeMetrics.of(p));
    assertThat(m).contains("probe_tcp_trace_hops 1\n")
        .contains("probe_tcp_trace_last_hop_info{address=\"198.18.20.1\",verdict=\"dropped\"} 1\n");
    assertThat(ProbeMetrics.debug("198.18.23.2:83", p))
        .contains("answered by: admin-prohibited from 198.18.22.3")
        .contains("Path trace (tcpdial.trace_on_failure): " + t.verdict().line());
    // what is worth a trace: not a reset from the target, not a local route
    assertThat(Prober.worthTracing(prohibited())).isTrue();
  }
}
