package dev.tcpdial.internal;

import java.util.Arrays;

/**
 * The deadlines of one event loop: a binary min-heap of intrusive entries, so insert and cancel are
 * O(log n) with no allocation beyond the entry itself and the earliest deadline is O(1) (the
 * selector's next wait). Not thread-safe: only its loop's thread touches it.
 */
public final class TimerQueue {

  /** An entry; subclass it. One entry is in at most one queue at a time. */
  public abstract static class Timer {
    long deadline;
    int index = -1;

    /** Called by {@link TimerQueue#expire} when the deadline has passed; the entry is out already. */
    protected abstract void expired();

    /** True while this entry is in a queue. */
    public final boolean scheduled() {
      return index >= 0;
    }

    /** The deadline it was scheduled for, on the {@code nanoTime} scale. */
    public final long deadlineNanos() {
      return deadline;
    }
  }

  private Timer[] heap = new Timer[64];
  private int size;

  /** Number of scheduled entries. */
  public int size() {
    return size;
  }

  /**
   * Schedules {@code t} to expire at {@code deadlineNanos} (rescheduling it if already in);
   * {@link Long#MAX_VALUE}, no deadline, takes it out instead: it would never expire.
   */
  public void schedule(Timer t, long deadlineNanos) {
    if (t.index >= 0) {
      remove(t);
    }
    if (deadlineNanos == Long.MAX_VALUE) {
      return;
    }
    t.deadline = deadlineNanos;
    if (size == heap.length) {
      heap = Arrays.copyOf(heap, size * 2);
    }
    heap[size] = t;
    t.index = size;
    size++;
    up(t.index);
  }

  /** Takes {@code t} out; returns false when it was not scheduled. */
  public boolean remove(Timer t) {
    int i = t.index;
    if (i < 0 || i >= size || heap[i] != t) {
      return false;
    }
    size--;
    Timer last = heap[size];
    heap[size] = null;
    t.index = -1;
    if (i != size) {
      heap[i] = last;
      last.index = i;
      down(i);
      up(last.index);
    }
    return true;
  }

  /** The earliest deadline, or {@link Long#MAX_VALUE} when empty. */
  public long nextDeadline() {
    return size == 0 ? Long.MAX_VALUE : heap[0].deadline;
  }

  /**
   * Expires, in deadline order, every entry whose deadline is at or before {@code nowNanos}.
   * Returns how many expired. An entry scheduled by a callback with a passed deadline expires in
   * this same call.
   */
  public int expire(long nowNanos) {
    int n = 0;
    while (size > 0 && heap[0].deadline - nowNanos <= 0) {
      Timer t = heap[0];
      remove(t);
      n++;
      t.expired();
    }
    return n;
  }

  /** Removes every entry and returns them (for shutdown). */
  public Timer[] drain() {
    Timer[] all = Arrays.copyOf(heap, size);
    for (Timer t : all) {
      t.index = -1;
    }
    Arrays.fill(heap, 0, size, null);
    size = 0;
    return all;
  }

  private void up(int i) {
    Timer t = heap[i];
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      Timer p = heap[parent];
      if (p.deadline - t.deadline <= 0) {
        break;
      }
      heap[i] = p;
      p.index = i;
      i = parent;
    }
    heap[i] = t;
    t.index = i;
  }

  private void down(int i) {
    Timer t = heap[i];
    int half = size >>> 1;
    while (i < half) {
      int child = 2 * i + 1;
      Timer c = heap[child];
      int right = child + 1;
      if (right < size && heap[right].deadline - c.deadline < 0) {
        child = right;
        c = heap[child];
      }
      if (t.deadline - c.deadline <= 0) {
        break;
      }
      heap[i] = c;
      c.index = i;
      i = child;
    }
    heap[i] = t;
    t.index = i;
  }
}
