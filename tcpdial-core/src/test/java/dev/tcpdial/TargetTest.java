package dev.tcpdial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TargetTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "example.com:80          | example.com | 80    | false",
      "127.0.0.1:1             | 127.0.0.1   | 1     | true",
      "[::1]:65535             | ::1         | 65535 | true",
      "[fd00::1]:443           | fd00::1     | 443   | true",
      "  ok.lab:8080           | ok.lab      | 8080  | false",
      "a-b_c.d.:22             | a-b_c.d.    | 22    | false",
      "[fe80::1%1]:80          | fe80::1%1   | 80    | true",
      "198.18.0.1:8000         | 198.18.0.1  | 8000  | true",
      "[fe80::1%lo]:80         | fe80::1%lo  | 80    | true",
      "[::ffff:127.0.0.1]:1    | ::ffff:127.0.0.1 | 1 | true",
      "[::ffff:7f00:1]:1       | ::ffff:7f00:1 | 1   | true",
      "127.0.0.1:0002222       | 127.0.0.1   | 2222  | true",
      "[::1]:02222             | ::1         | 2222  | true",
  })
  void parsesValidTargets(String text, String host, int port, boolean literal) {
    Target t = Target.parse(text);
    assertThat(t.host()).isEqualTo(host);
    assertThat(t.port()).isEqualTo(port);
    assertThat(t.isLiteral()).isEqualTo(literal);
    assertThat(t.literal().isPresent()).isEqualTo(literal);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "host                | missing port",
      "host:               | missing port",
      ":80                 | empty host",
      "host:0              | port 0",
      "host:65536          | outside 1-65535",
      "host:99999999       | larger than 65535",
      "host:http           | not a number",
      "host:-1             | not a number",
      "host:8 0            | white space",
      "::1:80              | needs brackets",
      "[::1:80             | '[' without ']'",
      "::1]:80             | ']' without '['",
      "[::1]80             | expected ':port'",
      "[]:80               | empty host in brackets",
      "[example.com]:80    | brackets are for IPv6",
      "[::g]:80            | not an IPv6 address",
      "999.1.1.1:80        | not an IPv4 address",
      "1.2.3:80            | not an IPv4 address",
      "010.0.0.1:80        | not an IPv4 address",
      "exa mple:80         | white space",
      "ex/ample:80         | not allowed",
      "-bad.com:80         | start or end with '-'",
      "a..b:80             | empty or over-long label",
      "[::1]:              | missing port",
      "127.0.0.1:80:80     | more than one ':'",
      "[fe80::1]:80        | link-local",
      "[fe80::1%nosuch0]:80 | is not an interface",
      "127.0.0.1:0065536   | outside 1-65535",
  })
  void rejectsMalformedTargetsInOneLine(String text, String reason) {
    assertThatThrownBy(() -> Target.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(reason)
        .hasMessageNotContaining("\n");
  }

  @ParameterizedTest
  @CsvSource({"fd00::1,80,[fd00::1]:80", "host,443,host:443", "host:22,443,host:22"})
  void defaultPortFillsIn(String text, int port, String expected) {
    assertThat(Target.parse(text, port).toString()).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({"0", "65536", "-5"})
  void constructorChecksThePort(int port) {
    assertThatThrownBy(() -> new Target("h", port)).isInstanceOf(IllegalArgumentException.class);
  }

  @org.junit.jupiter.api.Test
  void emptyAndNullAreRejected() {
    assertThatThrownBy(() -> Target.parse("")).hasMessageContaining("empty");
    assertThatThrownBy(() -> Target.parse(null)).hasMessageContaining("empty");
    assertThat(new Target("::1", 80).toString()).isEqualTo("[::1]:80");
  }
}
