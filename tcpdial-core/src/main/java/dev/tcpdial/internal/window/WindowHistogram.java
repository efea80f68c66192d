package dev.tcpdial.internal.window;

/**
 * Window sizes counted once per probe start, for the minimum, median and maximum a scan reports:
 * exact below 128, else in buckets 1/64 of their power of two wide (within 1.6 %). 1,600 longs
 * (12.5 KiB) whatever the scan; min and max exact. Not thread-safe: one loop's; {@link #add} merges.
 */
public final class WindowHistogram {
  private static final int LINEAR = 128;
  private static final int SUB_BITS = 6;
  private static final int BUCKETS = LINEAR + (31 - 7) * (1 << SUB_BITS);

  private final long[] counts = new long[BUCKETS];
  private long count;
  private int min = Integer.MAX_VALUE;
  private int max;

  static int bucket(int v) {
    if (v < LINEAR) {
      return Math.max(0, v);
    }
    int e = 31 - Integer.numberOfLeadingZeros(v); // 7..30
    int sub = (v >>> (e - SUB_BITS)) & ((1 << SUB_BITS) - 1);
    return LINEAR + (e - 7) * (1 << SUB_BITS) + sub;
  }

  static int lowest(int b) {
    if (b < LINEAR) {
      return b;
    }
    int e = (b - LINEAR) / (1 << SUB_BITS) + 7;
    int sub = (b - LINEAR) % (1 << SUB_BITS);
    return (1 << e) + (sub << (e - SUB_BITS));
  }

  /** One probe started with the window at {@code size}. */
  public void record(int size) {
    counts[bucket(size)]++;
    count++;
    if (size < min) {
      min = size;
    }
    if (size > max) {
      max = size;
    }
  }

  /** Adds {@code other}'s counts to these. */
  public void add(WindowHistogram other) {
    for (int i = 0; i < BUCKETS; i++) {
      counts[i] += other.counts[i];
    }
    count += other.count;
    min = Math.min(min, other.min);
    max = Math.max(max, other.max);
  }

  /** Starts recorded. */
  public long count() {
    return count;
  }

  /** The smallest size recorded; 0 when none. */
  public int min() {
    return count == 0 ? 0 : min;
  }

  /** The largest size recorded; 0 when none. */
  public int max() {
    return max;
  }

  /**
   * The size at which half the starts had a window at most that size: the bucket's lowest value,
   * kept within the exact minimum and maximum; 0 when none.
   */
  public int median() {
    if (count == 0) {
      return 0;
    }
    long half = (count + 1) / 2;
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts[i];
      if (seen >= half) {
        return Math.max(min, Math.min(max, lowest(i)));
      }
    }
    return max;
  }
}
