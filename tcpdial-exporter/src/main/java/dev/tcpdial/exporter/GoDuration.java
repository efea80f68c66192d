package dev.tcpdial.exporter;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations written the way Prometheus and blackbox_exporter configurations write them: {@code
 * 5s}, {@code 250ms}, {@code 1m30s}, {@code 1.5s}, {@code 100us}, {@code 0}. A bare number is
 * refused (its unit would be a guess).
 */
public final class GoDuration {
  private static final Pattern PART =
      Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h|d|w|y)");

  private GoDuration() {}

  /**
   * Parses a duration in Go's syntax ({@code 1m30s}, {@code 500ms}).
   *
   * @param text the duration
   * @return the duration
   * @throws IllegalArgumentException with a one-line reason when {@code text} is no duration
   */
  public static Duration parse(String text) {
    String s = text == null ? "" : text.strip();
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    if (s.isEmpty()) {
      throw new IllegalArgumentException("empty duration");
    }
    Matcher m = PART.matcher(s);
    int at = 0;
    BigDecimal nanos = BigDecimal.ZERO;
    while (at < s.length()) {
      if (!m.find(at) || m.start() != at) {
        throw new IllegalArgumentException(
            "bad duration '" + text + "': use e.g. 5s, 250ms, 1m30s");
      }
      BigDecimal unit = BigDecimal.valueOf(unitNanos(m.group(2)));
      nanos = nanos.add(new BigDecimal(m.group(1)).multiply(unit));
      at = m.end();
    }
    if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      throw new IllegalArgumentException("duration '" + text + "' is too long");
    }
    return Duration.ofNanos(nanos.longValue());
  }

  private static long unitNanos(String unit) {
    return switch (unit) {
      case "ns" -> 1L;
      case "us", "µs" -> 1_000L;
      case "ms" -> 1_000_000L;
      case "s" -> 1_000_000_000L;
      case "m" -> 60_000_000_000L;
      case "h" -> 3_600_000_000_000L;
      case "d" -> 86_400_000_000_000L;
      case "w" -> 7 * 86_400_000_000_000L;
      default -> 365 * 86_400_000_000_000L;
    };
  }

  /** {@code 5s}, {@code 250ms}, {@code 1.5s}: short, for the debug page and log lines. */
  static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    long ms = d.toMillis();
    if (d.toNanos() % 1_000_000 != 0) {
      return d.toNanos() / 1000.0 + "us";
    }
    if (ms % 1000 != 0) {
      return ms + "ms";
    }
    return ms / 1000 + "s";
  }
}
