package dev.tcpdial.exporter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link GoDuration} against the cases of Go's own {@code time} package tests
 * ({@code parseDurationTests}, {@code durationTests} in {@code src/time/time_test.go}), and
 * properties over random durations: every duration written is read back to itself, and the text
 * has Go's shape.
 */
class GoDurationTest {
  static final long NS = 1;
  static final long US = 1_000;
  static final long MS = 1_000_000;
  static final long S = 1_000_000_000;
  static final long M = 60 * S;
  static final long H = 60 * M;

  /** Go's parseDurationTests that succeed: text, nanoseconds. */
  static final Object[][] GO_PARSES = {
      {"0", 0L}, {"5s", 5 * S}, {"30s", 30 * S}, {"1478s", 1478 * S},
      {"-5s", -5 * S}, {"+5s", 5 * S}, {"-0", 0L}, {"+0", 0L},
      {"5.0s", 5 * S}, {"5.6s", 5 * S + 600 * MS}, {"5.s", 5 * S}, {".5s", 500 * MS},
      {"1.0s", S}, {"1.00s", S}, {"1.004s", S + 4 * MS}, {"1.0040s", S + 4 * MS},
      {"100.00100s", 100 * S + MS},
      {"10ns", 10 * NS}, {"11us", 11 * US}, {"12\u00b5s", 12 * US}, {"12\u03bcs", 12 * US},
      {"13ms", 13 * MS}, {"14s", 14 * S}, {"15m", 15 * M}, {"16h", 16 * H},
      {"3h30m", 3 * H + 30 * M}, {"10.5s4m", 4 * M + 10 * S + 500 * MS},
      {"-2m3.4s", -(2 * M + 3 * S + 400 * MS)},
      {"1h2m3s4ms5us6ns", H + 2 * M + 3 * S + 4 * MS + 5 * US + 6 * NS},
      {"39h9m14.425s", 39 * H + 9 * M + 14 * S + 425 * MS},
      {"52763797000ns", 52763797000L},
      {"0.3333333333333333333h", 20 * M},
      {"9007199254740993ns", (1L << 53) + 1},
      {"9223372036854775807ns", Long.MAX_VALUE},
      {"9223372036854775.807us", Long.MAX_VALUE},
      {"9223372036s854ms775us807ns", Long.MAX_VALUE},
      {"-9223372036854775807ns", -Long.MAX_VALUE},
      {"0.100000000000000000000h", 6 * M},
      {"0.830103483285477580700h", 49 * M + 48 * S + 372539827 * NS},
      // and the forms issue 22 names
      {"1.5h", H + 30 * M}, {"1h2m3.5s", H + 2 * M + 3 * S + 500 * MS}, {"+1s", S},
  };

  /** Go's parseDurationTests that fail (and some more Go refuses). */
  static final String[] GO_REFUSES = {
      "", "3", "-", "s", ".", "-.", ".s", "+.s", "3000000h", "9223372036854775808ns",
      "9223372036854775.808us", "9223372036854ms775us808ns", "-9223372036854775808ns",
      // units Go does not have, space, case
      "1d", "1w", "1y", "1 s", " 1s", "1s ", "1S", "1Ms", "5", "1.5", "1e3s", "0x10s", "1_000s",
      "--1s", "+-1s", "1s-1s",
  };

  /** Go's durationTests: nanoseconds, String(). */
  static final Object[][] GO_FORMATS = {
      {0L, "0s"}, {NS, "1ns"}, {1100 * NS, "1.1\u00b5s"}, {2200 * US, "2.2ms"},
      {3300 * MS, "3.3s"}, {4 * M + 5 * S, "4m5s"}, {4 * M + 5001 * MS, "4m5.001s"},
      {5 * H + 6 * M + 7001 * MS, "5h6m7.001s"}, {8 * M + NS, "8m0.000000001s"},
      {Long.MAX_VALUE, "2562047h47m16.854775807s"}, {Long.MIN_VALUE, "-2562047h47m16.854775808s"},
      // and the forms issue 22 names
      {1500 * MS, "1.5s"}, {US, "1\u00b5s"}, {M, "1m0s"}, {H, "1h0m0s"},
  };

  @Test
  void parsesWhatGoParses() {
    for (Object[] c : GO_PARSES) {
      assertThat(GoDuration.parse((String) c[0])).as("%s", c[0])
          .isEqualTo(Duration.ofNanos((Long) c[1]));
    }
  }

  @Test
  void refusesWhatGoRefusesWithGoMessages() {
    for (String s : GO_REFUSES) {
      assertThatThrownBy(() -> GoDuration.parse(s)).as("'%s'", s)
          .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("time: ")
          .message().doesNotContain("\n");
    }
    assertThatThrownBy(() -> GoDuration.parse("5")).hasMessage(
        "time: missing unit in duration \"5\"");
    assertThatThrownBy(() -> GoDuration.parse("1d")).hasMessage(
        "time: unknown unit \"d\" in duration \"1d\"");
    assertThatThrownBy(() -> GoDuration.parse("bob")).hasMessage(
        "time: invalid duration \"bob\"");
  }

  @Test
  void formatsAsGoFormats() {
    for (Object[] c : GO_FORMATS) {
      long n = (Long) c[0];
      assertThat(GoDuration.format(Duration.ofNanos(n))).isEqualTo(c[1]);
      if (n > 0) {
        assertThat(GoDuration.format(Duration.ofNanos(-n))).isEqualTo("-" + c[1]);
      }
    }
    // beyond Go's range: the nearest end
    assertThat(GoDuration.format(Duration.ofDays(365L * 1000))).isEqualTo(
        "2562047h47m16.854775807s");
  }

  @Test
  void everyDurationWrittenReadsBackToItselfInGoShape() {
    SplittableRandom r = new SplittableRandom(22);
    java.util.regex.Pattern shape = java.util.regex.Pattern.compile(
        "-?(0s|[1-9][0-9]*(\\.[0-9]*[1-9])?(ns|\u00b5s|ms)"
            + "|([1-9][0-9]*h[0-5]?[0-9]m|[1-5]?[0-9]m)?[0-5]?[0-9](\\.[0-9]*[1-9])?s)");
    for (int i = 0; i < 50_000; i++) {
      // every magnitude, not only the large ones a uniform long would give
      long n = r.nextLong() >> r.nextInt(64);
      if (i % 7 == 0) {
        n = n / 1_000_000 * 1_000_000; // whole milliseconds, as people write them
      }
      if (n == Long.MIN_VALUE) {
        continue; // Go writes it but, in the version tested, does not read it back
      }
      String text = GoDuration.format(Duration.ofNanos(n));
      if (!shape.matcher(text).matches() || GoDuration.parse(text).toNanos() != n) {
        assertThat(text).as("%d", n).matches(shape);
        assertThat(GoDuration.parse(text).toNanos()).as(text).isEqualTo(n);
      }
    }
  }
}
