package dev.tcpdial.cli.targets;

import java.util.Arrays;
import java.util.BitSet;

/**
 * nmap-style IPv4 ranges: four parts, each a comma-separated list of elements, an element a
 * number {@code n}, a range {@code a-b}, an open-ended range {@code -b} (from 0) or {@code a-}
 * (to 255), {@code -} or {@code *} (every value), numbers 0-255 without leading zeros. Each part's
 * values are a set: ascending, each once, as nmap lists them.
 */
final class Ranges {
  private Ranges() {}

  /**
   * Per part its values, ascending, each once; or null when {@code s} is not such a range.
   *
   * @param s the range, without a port
   * @return four arrays of values, or null
   */
  static int[][] octets(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return null;
    }
    int[][] o = new int[4][];
    for (int i = 0; i < 4; i++) {
      BitSet values = new BitSet(256);
      for (String element : parts[i].split(",", -1)) {
        if (!add(element, values)) {
          return null;
        }
      }
      o[i] = values.stream().toArray();
    }
    return o;
  }

  /** Adds the values of one element; false when it is none. */
  private static boolean add(String element, BitSet values) {
    if (element.equals("*")) {
      values.set(0, 256);
      return true;
    }
    int dash = element.indexOf('-');
    if (dash < 0) {
      int v = number(element);
      if (v < 0) {
        return false;
      }
      values.set(v);
      return true;
    }
    if (element.indexOf('-', dash + 1) >= 0) {
      return false;
    }
    int lo = dash == 0 ? 0 : number(element.substring(0, dash));
    int hi = dash == element.length() - 1 ? 255 : number(element.substring(dash + 1));
    if (lo < 0 || hi < 0 || lo > hi) {
      return false;
    }
    values.set(lo, hi + 1);
    return true;
  }

  private static int number(String t) {
    if (t.isEmpty() || t.length() > 3 || !t.chars().allMatch(c -> c >= '0' && c <= '9')
        || (t.length() > 1 && t.charAt(0) == '0')) {
      return -1;
    }
    int v = Integer.parseInt(t);
    return v > 255 ? -1 : v;
  }

  /**
   * How many addresses the range has.
   *
   * @param o the values of each part, from {@link #octets}
   * @return their product
   */
  static long size(int[][] o) {
    long n = 1;
    for (int[] values : o) {
      n *= values.length;
    }
    return n;
  }

  /** The {@code n}-th address of the range, the last part counting fastest. */
  static byte[] nth(int[][] o, long n) {
    byte[] b = new byte[4];
    for (int i = 3; i >= 0; i--) {
      int span = o[i].length;
      b[i] = (byte) o[i][(int) (n % span)];
      n /= span;
    }
    return b;
  }

  /** True when {@code a} (four bytes) lies in the range. */
  static boolean contains(int[][] o, byte[] a) {
    for (int i = 0; i < 4; i++) {
      if (Arrays.binarySearch(o[i], a[i] & 0xff) < 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether {@code host} is written as a range rather than one address: four parts of digits and
   * {@code - , *}, at least one of those three in it.
   *
   * @param host the host part of a target, without a port
   * @return true when it is meant as a range (it may still be malformed)
   */
  static boolean looksLikeRange(String host) {
    boolean marks = false;
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c == '-' || c == ',' || c == '*') {
        marks = true;
      } else if (c != '.' && (c < '0' || c > '9')) {
        return false;
      }
    }
    return marks;
  }
}
