package dev.tcpdial.cli.targets;

import dev.tcpdial.PortState;
import dev.tcpdial.Target;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parsers of option values; each fails with a one-line message. */
public final class Converters {
  private Converters() {}

  private static final Pattern DURATION =
      Pattern.compile("(\\d{1,12}(?:\\.\\d{1,9})?)(us|ms|s|m|h)?");

  /** {@code 250ms}, {@code 2s}, {@code 1.5s}, {@code 1m}, {@code 500us}, {@code 1h}; a bare number is seconds. */
  public static Duration parseDuration(String text) {
    String s = text.strip().toLowerCase(Locale.ROOT);
    Matcher m = DURATION.matcher(s);
    if (!m.matches()) {
      throw new TypeConversionException(
          "'" + TargetList.shorten(text) + "' is not a duration (write 250ms, 2s, 1.5s, 1m)");
    }
    BigDecimal value = new BigDecimal(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    long nanosPerUnit = switch (unit) {
      case "us" -> 1_000L;
      case "ms" -> 1_000_000L;
      case "s" -> 1_000_000_000L;
      case "m" -> 60_000_000_000L;
      default -> 3_600_000_000_000L;
    };
    BigDecimal nanos = value.multiply(BigDecimal.valueOf(nanosPerUnit));
    if (nanos.compareTo(BigDecimal.valueOf(Duration.ofDays(1).toNanos())) > 0) {
      throw new TypeConversionException("'" + TargetList.shorten(text) + "' is too long (at most 24h)");
    }
    return Duration.ofNanos(nanos.longValue());
  }

  public static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      return parseDuration(value);
    }
  }

  public static final class TargetConverter implements ITypeConverter<Target> {
    @Override
    public Target convert(String value) {
      try {
        return Target.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** Connects per second: {@code 500}, {@code 500/s}, {@code 3000/m}. */
  public static final class RateConverter implements ITypeConverter<Double> {
    static final double MIN_RATE = 1.0 / 60;
    static final double MAX_RATE = 10_000_000;

    @Override
    public Double convert(String value) {
      Matcher m = Pattern.compile("(\\d{1,30}(?:\\.\\d{1,30})?)(?:/(s|m))?").matcher(value.strip());
      if (!m.matches()) {
        throw new TypeConversionException("'" + TargetList.shorten(value)
            + "' is not a rate (write 1000/s or 6000/m)");
      }
      double n = Double.parseDouble(m.group(1));
      if ("m".equals(m.group(2))) {
        n /= 60;
      }
      if (n <= 0) {
        throw new TypeConversionException("rate '" + TargetList.shorten(value) + "' must be positive");
      }
      if (n < MIN_RATE - 1e-12 || n > MAX_RATE) {
        throw new TypeConversionException("rate '" + TargetList.shorten(value) + "' is out of range: 1/m (0.0167/s)"
            + " to " + (long) MAX_RATE + "/s");
      }
      return n;
    }
  }

  /** A shard {@code K/N}: the K-th of N (1-based). */
  public record Shard(int index, int count) {
    /** True when the element at position {@code i} of the de-duplicated list belongs to this shard. */
    boolean owns(long i) {
      return i % count == index - 1;
    }

    @Override
    public String toString() {
      return index + "/" + count;
    }
  }

  public static final class ShardConverter implements ITypeConverter<Shard> {
    @Override
    public Shard convert(String value) {
      Matcher m = Pattern.compile("(\\d{1,6})/(\\d{1,6})").matcher(value.strip());
      if (!m.matches()) {
        throw new TypeConversionException("'" + TargetList.shorten(value) + "' is not a shard (write K/N, as in 1/4)");
      }
      int k = Integer.parseInt(m.group(1));
      int n = Integer.parseInt(m.group(2));
      if (n < 1 || k < 1 || k > n) {
        throw new TypeConversionException("shard '" + TargetList.shorten(value) + "' needs 1 <= K <= N");
      }
      return new Shard(k, n);
    }
  }

  public static final class ExpectationConverter implements ITypeConverter<PortState> {
    @Override
    public PortState convert(String value) {
      try {
        return PortState.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
