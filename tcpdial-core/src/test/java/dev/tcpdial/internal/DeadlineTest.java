package dev.tcpdial.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DeadlineTest {
  @Test
  void zeroMeansNone() {
    assertThat(Deadline.after(5, Duration.ZERO).isNone()).isTrue();
    assertThat(Deadline.NONE.remainingNanos(123)).isEqualTo(Long.MAX_VALUE);
    assertThat(Deadline.NONE.remainingMillisCeil(0)).isEqualTo(Long.MAX_VALUE);
    assertThat(Deadline.NONE.expired(Long.MAX_VALUE - 5)).isFalse();
  }

  @Test
  void arithmeticRoundsUpAndSaturates() {
    Deadline d = Deadline.after(1_000, Duration.ofNanos(2_500_000));
    assertThat(d.nanos()).isEqualTo(2_501_000);
    assertThat(d.remainingNanos(1_000)).isEqualTo(2_500_000);
    assertThat(d.remainingMillisCeil(1_000)).isEqualTo(3); // never wake before the deadline
    assertThat(d.remainingNanos(3_000_000)).isZero();
    assertThat(d.expired(2_501_000)).isTrue();
    assertThat(d.expired(2_500_999)).isFalse();
    Deadline far = Deadline.after(Long.MAX_VALUE - 10, Duration.ofDays(365_000));
    assertThat(far.isNone()).isFalse();
    assertThat(far.nanos()).isEqualTo(Long.MAX_VALUE - 1);
    assertThat(Deadline.after(0, Duration.ofSeconds(Long.MAX_VALUE)).isNone()).isFalse();
  }

  @Test
  void minPicksTheEarlierAcrossNanoTimeWrap() {
    Deadline a = new Deadline(Long.MAX_VALUE - 100); // just before the wrap
    Deadline b = new Deadline(Long.MIN_VALUE + 100); // just after it: later
    assertThat(a.min(b)).isEqualTo(a);
    assertThat(b.min(Deadline.NONE)).isEqualTo(b);
    assertThat(Deadline.NONE.min(a)).isEqualTo(a);
  }

  @Test
  void negativeTimeoutIsRejected() {
    assertThatThrownBy(() -> Deadline.after(0, Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
