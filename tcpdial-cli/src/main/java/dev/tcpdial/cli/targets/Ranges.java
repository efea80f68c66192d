package dev.tcpdial.cli.targets;

/** nmap-style IPv4 ranges: each of the four numbers is {@code n} or {@code a-b} (0-255). */
final class Ranges {
  private Ranges() {}

  /** Per octet its lowest and highest value, or null when {@code s} is not such a range. */
  static int[][] octets(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return null;
    }
    int[][] o = new int[4][];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      int dash = p.indexOf('-');
      int lo = number(dash < 0 ? p : p.substring(0, dash));
      int hi = dash < 0 ? lo : number(p.substring(dash + 1));
      if (lo < 0 || hi < 0 || lo > hi) {
        return null;
      }
      o[i] = new int[] {lo, hi};
    }
    return o;
  }

  private static int number(String t) {
    if (t.isEmpty() || t.length() > 3 || !t.chars().allMatch(c -> c >= '0' && c <= '9')
        || (t.length() > 1 && t.charAt(0) == '0')) {
      return -1;
    }
    int v = Integer.parseInt(t);
    return v > 255 ? -1 : v;
  }

  /** The {@code n}-th address of the range, the last octet counting fastest. */
  static byte[] nth(int[][] o, long n) {
    byte[] b = new byte[4];
    for (int i = 3; i >= 0; i--) {
      int span = o[i][1] - o[i][0] + 1;
      b[i] = (byte) (o[i][0] + n % span);
      n /= span;
    }
    return b;
  }

  /** True when {@code a} (four bytes) lies in the range. */
  static boolean contains(int[][] o, byte[] a) {
    for (int i = 0; i < 4; i++) {
      int v = a[i] & 0xff;
      if (v < o[i][0] || v > o[i][1]) {
        return false;
      }
    }
    return true;
  }
}
