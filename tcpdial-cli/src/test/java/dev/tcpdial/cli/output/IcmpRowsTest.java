package dev.tcpdial.cli.output;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tcpdial.Attempt;
import dev.tcpdial.DialResult;
import dev.tcpdial.Engine;
import dev.tcpdial.Errno;
import dev.tcpdial.IcmpReport;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.Target;
import dev.tcpdial.cli.Cli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Who answered, in each format: the text row, -v, JSON's icmp objects, CSV's columns. */
class IcmpRowsTest {

  static DialResult result(String target, Outcome o, Errno e, IcmpReport icmp) throws Exception {
    Target t = Target.parse(target);
    InetSocketAddress to = new InetSocketAddress(t.literal().orElseThrow(), t.port());
    Attempt a = new Attempt(0, to, null, o, e, Duration.ZERO, Duration.ofMillis(1),
        Attempt.Reason.FIRST, icmp);
    return new DialResult(t, o, e, to, null, Duration.ofMillis(1), Duration.ZERO,
        List.of(to.getAddress()), Mode.ASYNC, Engine.URING, List.of(a));
  }

  static final IcmpReport PROHIBITED;
  static final IcmpReport LOOP6;

  static {
    try {
      PROHIBITED = new IcmpReport(IcmpReport.Origin.ICMP, false, 3, 13,
          InetAddress.getByName("198.18.22.3"));
      LOOP6 = new IcmpReport(IcmpReport.Origin.ICMP, true, 3, 0,
          InetAddress.getByName("fd00:21:0:0:0:0:0:2"));
    } catch (java.net.UnknownHostException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static String write(OutputOptions.Format f, boolean verbose, DialResult... rs) {
    OutputOptions o = new OutputOptions();
    o.format = f;
    o.verbose = verbose;
    StringWriter out = new StringWriter();
    Report r = new Report(new PrintWriter(out), new PrintWriter(new StringWriter()), o, false,
        false, false);
    r.begin();
    for (DialResult d : rs) {
      r.row(Row.of(d));
    }
    r.flush();
    return out.toString();
  }

  @Test
  void textNamesTheSenderOnTheRowAndVerboseSaysTypeAndCode() throws Exception {
    DialResult r = result("198.18.23.2:83", Outcome.HOST_UNREACHABLE, Errno.EHOSTUNREACH,
        PROHIBITED);
    assertThat(write(OutputOptions.Format.TEXT, false, r).strip())
        .endsWith("ms  admin-prohibited from 198.18.22.3");
    String v = write(OutputOptions.Format.TEXT, true, r);
    assertThat(v).contains("    answered by: ICMP admin-prohibited (type 3, code 13) from"
        + " 198.18.22.3\n");
    assertThat(v).contains("(first)  admin-prohibited from 198.18.22.3");
    // a local route: the row says local; unread says nothing on the row, -v says why
    DialResult local = result("198.18.10.1:80", Outcome.HOST_UNREACHABLE, Errno.EHOSTUNREACH,
        IcmpReport.local());
    assertThat(write(OutputOptions.Format.TEXT, false, local).strip()).endsWith("ms  local");
    DialResult unread = result("198.18.10.1:80", Outcome.HOST_UNREACHABLE, Errno.EHOSTUNREACH,
        IcmpReport.unread());
    assertThat(write(OutputOptions.Format.TEXT, false, unread).strip()).endsWith(" ms");
    assertThat(write(OutputOptions.Format.TEXT, true, unread))
        .contains("answered by: not known: the engine could not read the socket's error queue");
  }

  @Test
  void jsonHasAnIcmpObjectPerRowAndPerAttempt() throws Exception {
    String out = write(OutputOptions.Format.JSON, false,
        result("[fd00:27::1]:80", Outcome.HOST_UNREACHABLE, Errno.EHOSTUNREACH, LOOP6),
        result("198.18.23.2:81", Outcome.REFUSED, Errno.ECONNREFUSED, null),
        result("198.18.10.1:80", Outcome.HOST_UNREACHABLE, Errno.EHOSTUNREACH, IcmpReport.local()));
    List<JsonNode> rows = out.lines().map(l -> {
      try {
        return Cli.JSON.readTree(l);
      } catch (Exception e) {
        throw new AssertionError(l, e);
      }
    }).toList();
    JsonNode icmp = rows.get(0).get("icmp");
    assertThat(icmp.get("origin").asText()).isEqualTo("icmp");
    assertThat(icmp.get("family").asText()).isEqualTo("ipv6");
    assertThat(icmp.get("type").asInt()).isEqualTo(3);
    assertThat(icmp.get("code").asInt()).isZero();
    assertThat(icmp.get("name").asText()).isEqualTo("time-exceeded");
    assertThat(icmp.get("from").asText()).isEqualTo("fd00:21::2");
    assertThat(rows.get(0).get("attempts").get(0).get("icmp")).isEqualTo(icmp);
    assertThat(rows.get(0).get("explanation").asText()).startsWith("time exceeded in transit");
    assertThat(rows.get(1).get("icmp").isNull()).isTrue();
    JsonNode local = rows.get(2).get("icmp");
    assertThat(local.get("origin").asText()).isEqualTo("local");
    assertThat(local.get("type").isNull()).isTrue();
    assertThat(local.get("from").isNull()).isTrue();
  }

  @Test
  void csvHasFourColumnsForIt() throws Exception {
    List<String> lines = write(OutputOptions.Format.CSV, false,
        result("198.18.23.2:83", Outcome.HOST_UNREACHABLE, Errno.EHOSTUNREACH, PROHIBITED),
        result("198.18.10.1:80", Outcome.HOST_UNREACHABLE, Errno.EHOSTUNREACH,
            IcmpReport.local()),
        result("198.18.23.2:81", Outcome.REFUSED, Errno.ECONNREFUSED, null)).lines().toList();
    assertThat(lines.get(0)).endsWith(",attempts,icmp,icmp_type,icmp_code,icmp_from");
    assertThat(lines.get(1)).endsWith(",1,admin-prohibited,3,13,198.18.22.3");
    assertThat(lines.get(2)).endsWith(",1,local,,,");
    assertThat(lines.get(3)).endsWith(",1,,,,");
  }
}
