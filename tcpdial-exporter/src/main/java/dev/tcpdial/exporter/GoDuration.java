package dev.tcpdial.exporter;

import java.time.Duration;

/**
 * Durations as Go writes and reads them, because Prometheus and blackbox_exporter configurations
 * are written for Go's {@code time.ParseDuration}: {@code 5s}, {@code 250ms}, {@code 1m30s},
 * {@code .5s}, {@code +1.5h}, {@code 100us} or {@code 100µs}, {@code 0}. The range is Go's, an
 * int64 of nanoseconds (about 292 years); a bare number other than 0 has no unit and is refused,
 * and so are days, surrounding space and anything else Go refuses.
 */
public final class GoDuration {
  private GoDuration() {}

  private static final long SECOND = 1_000_000_000L;

  /**
   * Parses a duration as Go's {@code time.ParseDuration} does: an optional sign, then one or more
   * decimal numbers, each with an optional fraction and a unit ({@code ns}, {@code us}, {@code
   * µs} (U+00B5 or U+03BC), {@code ms}, {@code s}, {@code m}, {@code h}); {@code 0} alone needs
   * none.
   *
   * @param text the duration
   * @return the duration, negative when signed so
   * @throws IllegalArgumentException with Go's one-line reason when Go would refuse {@code text}
   */
  public static Duration parse(String text) {
    String s = text == null ? "" : text;
    String quoted = "\"" + Config.escape(s) + "\"";
    int i = 0;
    boolean neg = false;
    if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
      neg = s.charAt(0) == '-';
      i++;
    }
    if (s.substring(i).equals("0")) {
      return Duration.ZERO;
    }
    if (i == s.length()) {
      throw new IllegalArgumentException("time: invalid duration " + quoted);
    }
    // unsigned 64-bit sum, compared against 2^63 - 1 as Go does
    long total = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (!(c == '.' || c >= '0' && c <= '9')) {
        throw new IllegalArgumentException("time: invalid duration " + quoted);
      }
      int start = i;
      long whole = 0;
      while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        if (Long.compareUnsigned(whole, Long.MIN_VALUE / 10 * -1) > 0) {
          throw new IllegalArgumentException("time: invalid duration " + quoted);
        }
        whole = whole * 10 + (s.charAt(i) - '0');
        if (Long.compareUnsigned(whole, Long.MIN_VALUE) > 0) {
          throw new IllegalArgumentException("time: invalid duration " + quoted);
        }
        i++;
      }
      boolean pre = i != start;
      long frac = 0;
      double scale = 1;
      boolean post = false;
      if (i < s.length() && s.charAt(i) == '.') {
        i++;
        int fracStart = i;
        boolean overflow = false;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
          if (!overflow) {
            if (frac > Long.MAX_VALUE / 10) {
              overflow = true; // further digits only lose precision
            } else {
              long y = frac * 10 + (s.charAt(i) - '0');
              if (y < 0) {
                overflow = true;
              } else {
                frac = y;
                scale *= 10;
              }
            }
          }
          i++;
        }
        post = i != fracStart;
      }
      if (!pre && !post) {
        throw new IllegalArgumentException("time: invalid duration " + quoted);
      }
      int unitStart = i;
      while (i < s.length() && s.charAt(i) != '.' && !(s.charAt(i) >= '0' && s.charAt(i) <= '9')) {
        i++;
      }
      if (i == unitStart) {
        throw new IllegalArgumentException("time: missing unit in duration " + quoted);
      }
      String u = s.substring(unitStart, i);
      long unit = unit(u);
      if (unit == 0) {
        throw new IllegalArgumentException("time: unknown unit \"" + Config.escape(u)
            + "\" in duration " + quoted);
      }
      if (Long.compareUnsigned(whole, Long.divideUnsigned(Long.MAX_VALUE, unit)) > 0) {
        throw new IllegalArgumentException("time: invalid duration " + quoted);
      }
      long v = whole * unit;
      if (frac > 0) {
        v += (long) (frac * (unit / scale));
        if (v < 0) {
          throw new IllegalArgumentException("time: invalid duration " + quoted);
        }
      }
      total += v;
      if (total < 0) {
        throw new IllegalArgumentException("time: invalid duration " + quoted);
      }
    }
    return Duration.ofNanos(neg ? -total : total);
  }

  private static long unit(String u) {
    return switch (u) {
      case "ns" -> 1L;
      case "us", "\u00b5s", "\u03bcs" -> 1_000L;
      case "ms" -> 1_000_000L;
      case "s" -> SECOND;
      case "m" -> 60 * SECOND;
      case "h" -> 3600 * SECOND;
      default -> 0;
    };
  }

  /**
   * Writes {@code d} as Go's {@code time.Duration.String()} does: {@code 1.5s}, {@code 1µs},
   * {@code 1m0s}, {@code 1h0m0.5s}, {@code 0s}; below a second in the largest of ms, µs, ns that
   * keeps a non-zero leading digit. Outside Go's range (about ±292 years) the nearest end.
   *
   * @param d a duration
   * @return its text, which {@link #parse} reads back to {@code d}
   */
  public static String format(Duration d) {
    long n;
    try {
      n = d.toNanos();
    } catch (ArithmeticException e) {
      n = d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
    if (n == 0) {
      return "0s";
    }
    boolean neg = n < 0;
    long u = neg ? -n : n; // unsigned: Long.MIN_VALUE stays 2^63
    StringBuilder b = new StringBuilder();
    if (Long.compareUnsigned(u, SECOND) < 0) {
      if (u < 1_000) {
        b.append(u).append("ns");
      } else if (u < 1_000_000) {
        b.append(fixed(u, 3)).append("\u00b5s");
      } else {
        b.append(fixed(u, 6)).append("ms");
      }
    } else {
      long secs = Long.divideUnsigned(u, SECOND);
      long nanos = Long.remainderUnsigned(u, SECOND);
      long h = secs / 3600;
      long m = secs / 60 % 60;
      long s = secs % 60;
      if (h > 0) {
        b.append(h).append('h');
      }
      if (h > 0 || m > 0) {
        b.append(m).append('m');
      }
      b.append(fixed(s * SECOND + nanos, 9)).append('s');
    }
    return (neg ? "-" : "") + b;
  }

  /** {@code v / 10^digits} with the fraction's trailing zeros (and a bare point) dropped. */
  private static String fixed(long v, int digits) {
    long pow = 1;
    for (int i = 0; i < digits; i++) {
      pow *= 10;
    }
    long whole = v / pow;
    long frac = v % pow;
    if (frac == 0) {
      return Long.toString(whole);
    }
    String f = String.format(java.util.Locale.ROOT, "%0" + digits + "d", frac);
    int end = f.length();
    while (f.charAt(end - 1) == '0') {
      end--;
    }
    return whole + "." + f.substring(0, end);
  }
}
