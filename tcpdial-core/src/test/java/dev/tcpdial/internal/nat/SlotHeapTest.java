package dev.tcpdial.internal.nat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The index heap against a plain map, through random schedules, removals and growth. */
class SlotHeapTest {

  @Test
  void ordersLikeAMapAcrossRandomOperations() {
    Random rnd = new Random(42);
    SlotHeap h = new SlotHeap(4);
    Map<Integer, Long> model = new HashMap<>();
    int cap = 4;
    long base = Long.MAX_VALUE - 1_000_000; // deadlines wrap past MAX_VALUE: compared by difference
    for (int step = 0; step < 200_000; step++) {
      int op = rnd.nextInt(10);
      if (op < 5) {
        int slot = rnd.nextInt(64);
        if (slot >= cap) {
          cap = slot + 1 + cap / 2;
          h.grow(cap);
        }
        long at = base + rnd.nextInt(2_000_000);
        h.schedule(slot, at);
        model.put(slot, at);
      } else if (op < 8) {
        int slot = rnd.nextInt(cap);
        assertThat(h.remove(slot)).isEqualTo(model.remove(slot) != null);
      } else if (!model.isEmpty()) {
        int top = h.peek();
        long min = model.values().stream().min((a, b) -> Long.signum(a - b)).orElseThrow();
        assertThat(h.nextDeadline()).isEqualTo(min);
        assertThat(model.get(top)).isEqualTo(min);
        h.remove(top);
        model.remove(top);
      }
      assertThat(h.size()).isEqualTo(model.size());
    }
    assertThat(h.peek()).isEqualTo(model.isEmpty() ? -1 : h.peek());
  }

  @Test
  void emptyHasNoDeadline() {
    SlotHeap h = new SlotHeap(2);
    assertThat(h.nextDeadline()).isEqualTo(Long.MAX_VALUE);
    assertThat(h.peek()).isEqualTo(-1);
    assertThat(h.remove(1)).isFalse();
    h.schedule(1, 5);
    h.schedule(0, 7);
    h.schedule(1, 9); // moves
    assertThat(h.peek()).isZero();
    assertThat(h.contains(1)).isTrue();
    assertThat(h.deadlineOf(1)).isEqualTo(9);
  }
}
