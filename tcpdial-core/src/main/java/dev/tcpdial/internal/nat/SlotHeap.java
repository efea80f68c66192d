package dev.tcpdial.internal.nat;

import java.util.Arrays;

/**
 * A binary min-heap of slot numbers keyed by a deadline per slot, all in primitive arrays: 16 bytes
 * per slot of capacity (the deadline, the slot's position in the heap, the heap entry) and no
 * object per entry. Insert, remove and reschedule are O(log n); the earliest is O(1). Deadlines are
 * compared by difference, so a wrap of {@code nanoTime} keeps the order. Not thread-safe.
 */
final class SlotHeap {
  private long[] deadline;
  private int[] pos; // slot -> index in heap, -1 when not in
  private int[] heap; // heap index -> slot
  private int size;

  SlotHeap(int capacity) {
    deadline = new long[capacity];
    pos = new int[capacity];
    heap = new int[capacity];
    Arrays.fill(pos, -1);
  }

  /** Makes room for slots {@code 0 .. capacity-1}. */
  void grow(int capacity) {
    int old = pos.length;
    if (capacity <= old) {
      return;
    }
    deadline = Arrays.copyOf(deadline, capacity);
    pos = Arrays.copyOf(pos, capacity);
    heap = Arrays.copyOf(heap, capacity);
    Arrays.fill(pos, old, capacity, -1);
  }

  int size() {
    return size;
  }

  boolean contains(int slot) {
    return pos[slot] >= 0;
  }

  /** The earliest slot, or -1 when empty. */
  int peek() {
    return size == 0 ? -1 : heap[0];
  }

  /** The earliest deadline, or {@link Long#MAX_VALUE} when empty. */
  long nextDeadline() {
    return size == 0 ? Long.MAX_VALUE : deadline[heap[0]];
  }

  long deadlineOf(int slot) {
    return deadline[slot];
  }

  /** Adds {@code slot} with {@code at}, or moves it there when it is in already. */
  void schedule(int slot, long at) {
    if (pos[slot] >= 0) {
      remove(slot);
    }
    deadline[slot] = at;
    heap[size] = slot;
    pos[slot] = size;
    size++;
    up(size - 1);
  }

  /** Takes {@code slot} out; false when it was not in. */
  boolean remove(int slot) {
    int i = pos[slot];
    if (i < 0) {
      return false;
    }
    pos[slot] = -1;
    size--;
    if (i != size) {
      int last = heap[size];
      heap[i] = last;
      pos[last] = i;
      down(i);
      up(pos[last]);
    }
    return true;
  }

  private void up(int i) {
    int s = heap[i];
    long d = deadline[s];
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      int p = heap[parent];
      if (deadline[p] - d <= 0) {
        break;
      }
      heap[i] = p;
      pos[p] = i;
      i = parent;
    }
    heap[i] = s;
    pos[s] = i;
  }

  private void down(int i) {
    int s = heap[i];
    long d = deadline[s];
    int half = size >>> 1;
    while (i < half) {
      int child = 2 * i + 1;
      int c = heap[child];
      int right = child + 1;
      if (right < size && deadline[heap[right]] - deadline[c] < 0) {
        child = right;
        c = heap[child];
      }
      if (d - deadline[c] <= 0) {
        break;
      }
      heap[i] = c;
      pos[c] = i;
      i = child;
    }
    heap[i] = s;
    pos[s] = i;
  }
}
