package dev.tcpdial;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Addresses in what the library writes (targets made of addresses, messages, {@code toString})
 * are in the form people write: IPv6 as RFC 5952 section 4 says, an address said once.
 */
class AddressTextTest {

  private static String target(String literal) {
    return Target.of(InetAddress.ofLiteral(literal), 80).toString();
  }

  @Test
  void ipv6InItsShortForm() throws Exception {
    assertThat(target("0:0:0:0:0:0:0:1")).isEqualTo("[::1]:80");
    assertThat(target("::")).isEqualTo("[::]:80");
    assertThat(target("2001:0db8:0000:0000:0000:ff00:0042:8329"))
        .isEqualTo("[2001:db8::ff00:42:8329]:80");
    // one zero group stays (4.2.2); the longest run is shortened (4.2.3), the first of equals
    assertThat(target("2001:db8:0:1:1:1:1:1")).isEqualTo("[2001:db8:0:1:1:1:1:1]:80");
    assertThat(target("2001:0:0:1:0:0:0:1")).isEqualTo("[2001:0:0:1::1]:80");
    assertThat(target("2001:db8:0:0:1:0:0:1")).isEqualTo("[2001:db8::1:0:0:1]:80");
    assertThat(target("FD00:0:0:2:0:0:0:2")).isEqualTo("[fd00:0:0:2::2]:80");
    assertThat(target("fd00:1:0:0:1:0:0:0")).isEqualTo("[fd00:1:0:0:1::]:80");
    assertThat(target("198.18.0.1")).isEqualTo("198.18.0.1:80");
    Inet6Address scoped = Inet6Address.getByAddress(null,
        InetAddress.ofLiteral("fe80::1").getAddress(), 3);
    assertThat(Target.of(scoped, 80).host()).isEqualTo("fe80::1%3");
    assertThat(Target.of(new InetSocketAddress(InetAddress.ofLiteral("::1"), 443)))
        .hasToString("[::1]:443");
  }

  private static DialResult refused(Target target, String remote) {
    InetSocketAddress r = new InetSocketAddress(InetAddress.ofLiteral(remote), target.port());
    Attempt a = new Attempt(0, r, new InetSocketAddress(InetAddress.ofLiteral(remote), 40000),
        Outcome.REFUSED, Errno.ECONNREFUSED, Duration.ZERO, Duration.ofMillis(1),
        Attempt.Reason.FIRST);
    return new DialResult(target, Outcome.REFUSED, Errno.ECONNREFUSED, r, a.local(),
        Duration.ofMillis(1), Duration.ZERO, List.of(r.getAddress()), Mode.SYNC, Engine.JDK,
        List.of(a));
  }

  @Test
  void aLiteralTargetsAddressIsSaidOnce() {
    DialResult v4 = refused(Target.parse("127.0.0.1:1"), "127.0.0.1");
    assertThat(v4.toString()).startsWith("127.0.0.1:1 refused ").doesNotContain("/");
    assertThat(new DialException(v4, null).getMessage()).startsWith("dial 127.0.0.1:1: refused");
    DialResult v6 = refused(Target.parse("[::1]:1"), "::1");
    assertThat(v6.toString()).startsWith("[::1]:1 refused ").doesNotContain("0:0");
    assertThat(new DialException(v6, null).getMessage()).startsWith("dial [::1]:1: refused")
        .doesNotContain("0:0");
    // the same address written another way is still the same address
    DialResult longForm = refused(Target.parse("[0:0:0:0:0:0:0:1]:1"), "::1");
    assertThat(new DialException(longForm, null).getMessage())
        .startsWith("dial [0:0:0:0:0:0:0:1]:1: refused");
  }

  @Test
  void aNamesAddressIsShownBesideItShort() {
    DialResult r = refused(Target.parse("localhost:1"), "::1");
    assertThat(r.toString()).startsWith("localhost:1 (::1) refused ECONNREFUSED(111) ");
    assertThat(new DialException(r, null).getMessage())
        .startsWith("dial localhost:1 (::1): refused ECONNREFUSED(111) after 1.0 ms");
    assertThat(r.attempts().getFirst().toString()).isEqualTo(
        "#0 [::1]:1 from [::1]:40000 refused ECONNREFUSED(111) at 0.0 ms, 1.0 ms (first)");
  }
}
