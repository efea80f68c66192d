package dev.tcpdial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IcmpReportTest {

  @ParameterizedTest(name = "ICMP {0}/{1} = {2}")
  @CsvSource({
      "3, 0, net-unreachable", "3, 1, host-unreachable", "3, 2, protocol-unreachable",
      "3, 3, port-unreachable", "3, 4, frag-needed", "3, 5, source-route-failed",
      "3, 6, net-unknown", "3, 7, host-unknown", "3, 8, host-isolated", "3, 9, net-prohibited",
      "3, 10, host-prohibited", "3, 11, net-unreachable-for-tos",
      "3, 12, host-unreachable-for-tos", "3, 13, admin-prohibited",
      "3, 14, host-precedence-violation", "3, 15, precedence-cutoff",
      "3, 16, unreachable-code-16", "4, 0, source-quench", "5, 1, redirect",
      "11, 0, time-exceeded", "11, 1, reassembly-time-exceeded", "11, 2, type-11-code-2",
      "12, 0, parameter-problem", "0, 0, type-0-code-0", "8, 0, type-8-code-0"})
  void icmpNames(int type, int code, String name) {
    assertThat(IcmpReport.name(false, type, code)).isEqualTo(name);
  }

  @ParameterizedTest(name = "ICMPv6 {0}/{1} = {2}")
  @CsvSource({
      "1, 0, no-route", "1, 1, admin-prohibited", "1, 2, beyond-scope",
      "1, 3, address-unreachable", "1, 4, port-unreachable", "1, 5, source-policy-failed",
      "1, 6, reject-route", "1, 7, source-routing-header-error", "1, 8, headers-too-long",
      "1, 9, unreachable-code-9", "2, 0, packet-too-big", "3, 0, time-exceeded",
      "3, 1, reassembly-time-exceeded", "4, 1, parameter-problem", "128, 0, type-128-code-0"})
  void icmp6Names(int type, int code, String name) {
    assertThat(IcmpReport.name(true, type, code)).isEqualTo(name);
  }

  @Test
  void timeExceededIsTheTransitCodeOfEachFamily() throws Exception {
    InetAddress r = InetAddress.getByName("198.18.21.2");
    assertThat(new IcmpReport(IcmpReport.Origin.ICMP, false, 11, 0, r).timeExceeded()).isTrue();
    assertThat(new IcmpReport(IcmpReport.Origin.ICMP, false, 11, 1, r).timeExceeded()).isFalse();
    assertThat(new IcmpReport(IcmpReport.Origin.ICMP, true, 3, 0, r).timeExceeded()).isTrue();
    // ICMPv6 type 3 is time exceeded, ICMP type 3 is destination unreachable
    assertThat(new IcmpReport(IcmpReport.Origin.ICMP, false, 3, 0, r).timeExceeded()).isFalse();
    assertThat(new IcmpReport(IcmpReport.Origin.ICMP, true, 11, 0, r).timeExceeded()).isFalse();
  }

  @Test
  void labelsSayWhoAnswered() throws Exception {
    assertThat(new IcmpReport(IcmpReport.Origin.ICMP, false, 11, 0,
        InetAddress.getByName("198.18.21.2")).label()).isEqualTo("time-exceeded from 198.18.21.2");
    assertThat(new IcmpReport(IcmpReport.Origin.ICMP, true, 1, 1,
        InetAddress.getByName("fd00:0:0:21:0:0:0:2")).label())
        .isEqualTo("admin-prohibited from fd00:0:0:21::2");
    assertThat(new IcmpReport(IcmpReport.Origin.LOCAL, false, 3, 1,
        InetAddress.getByName("198.18.0.2")).label())
        .isEqualTo("local host-unreachable (198.18.0.2)");
    assertThat(IcmpReport.local().label()).isEqualTo("local");
    assertThat(IcmpReport.local().name()).isEmpty();
    assertThat(IcmpReport.unread().label()).isEqualTo("unread");
    assertThat(IcmpReport.unread().fromText()).isEmpty();
  }

  @Test
  void typeAndCodeAreBothSetOrBothAbsent() {
    assertThatThrownBy(() -> new IcmpReport(IcmpReport.Origin.ICMP, false, 3, -1, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new IcmpReport(IcmpReport.Origin.ICMP, false, 256, 0, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new IcmpReport(null, false, -1, -1, null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void aResultNamesTheDecidingAttemptsSenderAndExplainsTimeExceeded() throws Exception {
    InetSocketAddress a6 = new InetSocketAddress(InetAddress.getByName("fd00:27::1"), 80);
    InetSocketAddress a4 = new InetSocketAddress(InetAddress.getByName("198.18.27.1"), 80);
    IcmpReport loop = new IcmpReport(IcmpReport.Origin.ICMP, false, 11, 0,
        InetAddress.getByName("198.18.21.2"));
    IcmpReport other = new IcmpReport(IcmpReport.Origin.ICMP, true, 1, 0,
        InetAddress.getByName("fd00:21::2"));
    List<Attempt> attempts = List.of(
        new Attempt(0, a6, null, Outcome.NETWORK_UNREACHABLE, Errno.ENETUNREACH, Duration.ZERO,
            Duration.ofMillis(1), Attempt.Reason.FIRST, other),
        new Attempt(1, a4, null, Outcome.HOST_UNREACHABLE, Errno.EHOSTUNREACH,
            Duration.ofMillis(1), Duration.ofMillis(1), Attempt.Reason.PREVIOUS_FAILED, loop));
    DialResult r = new DialResult(Target.parse("loop.lab:80"), Outcome.HOST_UNREACHABLE,
        Errno.EHOSTUNREACH, a4, null, Duration.ofMillis(2), Duration.ZERO,
        List.of(a6.getAddress(), a4.getAddress()), Mode.SYNC, Engine.EPOLL, attempts);
    assertThat(r.icmp()).isEqualTo(loop);
    assertThat(r.explanation()).startsWith("time exceeded in transit")
        .endsWith("ICMP time-exceeded from 198.18.21.2");
    // no ICMP error behind it: the errno's explanation alone
    DialResult refused = new DialResult(Target.parse("198.18.1.2:81"), Outcome.REFUSED,
        Errno.ECONNREFUSED, a4, null, Duration.ZERO, Duration.ZERO, List.of(a4.getAddress()),
        Mode.SYNC, Engine.EPOLL, List.of(new Attempt(0, a4, null, Outcome.REFUSED,
            Errno.ECONNREFUSED, Duration.ZERO, Duration.ZERO, Attempt.Reason.FIRST)));
    assertThat(refused.icmp()).isNull();
    assertThat(refused.explanation()).isEqualTo(Outcome.REFUSED.explanation());
    // a firewall's port-unreachable from the target itself
    IcmpReport fromTarget = new IcmpReport(IcmpReport.Origin.ICMP, false, 3, 3, a4.getAddress());
    DialResult rejected = new DialResult(Target.parse("198.18.27.1:80"), Outcome.REFUSED,
        Errno.ECONNREFUSED, a4, null, Duration.ZERO, Duration.ZERO, List.of(a4.getAddress()),
        Mode.SYNC, Engine.EPOLL, List.of(new Attempt(0, a4, null, Outcome.REFUSED,
            Errno.ECONNREFUSED, Duration.ZERO, Duration.ZERO, Attempt.Reason.FIRST, fromTarget)));
    assertThat(rejected.explanation()).endsWith("; ICMP port-unreachable from the target itself");
  }
}
