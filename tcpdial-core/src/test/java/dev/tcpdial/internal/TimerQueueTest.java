package dev.tcpdial.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TimerQueueTest {
  static final class T extends TimerQueue.Timer {
    final List<T> log;
    final int id;

    T(List<T> log, int id) {
      this.log = log;
      this.id = id;
    }

    @Override
    protected void expired() {
      log.add(this);
    }
  }

  @Test
  void expiresInDeadlineOrderAndSkipsRemoved() {
    Random rnd = new Random(42);
    List<T> fired = new ArrayList<>();
    TimerQueue q = new TimerQueue();
    List<T> all = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      T t = new T(fired, i);
      all.add(t);
      q.schedule(t, rnd.nextInt(1_000_000));
    }
    List<T> removed = new ArrayList<>();
    for (int i = 0; i < 5_000; i += 3) {
      assertThat(q.remove(all.get(i))).isTrue();
      assertThat(q.remove(all.get(i))).isFalse();
      removed.add(all.get(i));
    }
    // reschedule some
    for (int i = 1; i < 5_000; i += 7) {
      if (i % 3 != 0) {
        q.schedule(all.get(i), 2_000_000 + i);
      }
    }
    assertThat(q.size()).isEqualTo(5_000 - removed.size());
    assertThat(q.expire(500_000)).isEqualTo(fired.size());
    for (T t : fired) {
      assertThat(t.deadlineNanos()).isLessThanOrEqualTo(500_000);
      assertThat(t.scheduled()).isFalse();
    }
    q.expire(Long.MAX_VALUE - 1);
    assertThat(q.size()).isZero();
    assertThat(q.nextDeadline()).isEqualTo(Long.MAX_VALUE);
    for (int i = 1; i < fired.size(); i++) {
      assertThat(fired.get(i).deadlineNanos()).isGreaterThanOrEqualTo(fired.get(i - 1).deadlineNanos());
    }
    assertThat(fired).doesNotContainAnyElementsOf(removed).hasSize(5_000 - removed.size());
  }

  @Test
  void nextDeadlineIsTheMinimum() {
    TimerQueue q = new TimerQueue();
    List<T> log = new ArrayList<>();
    T a = new T(log, 1);
    T b = new T(log, 2);
    q.schedule(a, 50);
    q.schedule(b, 10);
    assertThat(q.nextDeadline()).isEqualTo(10);
    q.remove(b);
    assertThat(q.nextDeadline()).isEqualTo(50);
    assertThat(q.drain()).containsExactly(a);
    assertThat(a.scheduled()).isFalse();
  }

  @Test
  void noDeadlineTakesATimerOut() {
    TimerQueue q = new TimerQueue();
    List<T> log = new ArrayList<>();
    T a = new T(log, 1);
    q.schedule(a, 50);
    q.schedule(a, Long.MAX_VALUE);
    assertThat(a.scheduled()).isFalse();
    assertThat(q.size()).isZero();
    assertThat(q.nextDeadline()).isEqualTo(Long.MAX_VALUE);
    q.schedule(a, Long.MAX_VALUE); // not in: stays out
    assertThat(q.size()).isZero();
  }
}
