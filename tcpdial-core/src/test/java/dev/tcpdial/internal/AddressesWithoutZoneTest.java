package dev.tcpdial.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AddressesWithoutZoneTest {
  @ParameterizedTest
  @CsvSource({
      "198.18.0.1, 198.18.0.1", "fd00:0:0:1:0:0:0:1, fd00:0:0:1::1", "::, ::", "::1, ::1",
      "fd00:0:1:0:0:1:0:0, fd00:0:1::1:0:0", "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
      "fd00:0:0:0:1:0:0:0, fd00::1:0:0:0", "1:0:0:1:0:0:0:1, 1:0:0:1::1"})
  void rfc5952(String in, String out) throws Exception {
    assertThat(Addresses.withoutZone(InetAddress.getByName(in))).isEqualTo(out);
  }
}
