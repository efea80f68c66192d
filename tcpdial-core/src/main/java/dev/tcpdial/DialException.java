package dev.tcpdial;

import java.io.IOException;
import java.util.Locale;
import java.util.Objects;

/**
 * A dial that did not connect. It carries the classified result: the outcome, the errno, the
 * addresses and every attempt. Its cause is the most relevant attempt's JDK exception when there
 * was one; the other attempts' exceptions are suppressed.
 */
public final class DialException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient DialResult result;

  /**
   * A failure for {@code result}, whose outcome must not be {@link Outcome#CONNECTED}.
   *
   * @param result the failed dial
   * @param cause the most relevant attempt's failure, or {@code null}
   */
  public DialException(DialResult result, Throwable cause) {
    super(message(result), cause);
    this.result = Objects.requireNonNull(result, "result");
    if (result.connected()) {
      throw new IllegalArgumentException("a connected result is not a failure");
    }
  }

  private static String message(DialResult r) {
    StringBuilder sb = new StringBuilder("dial ").append(r.target())
        .append(dev.tcpdial.internal.Addresses.beside(r.target(), r.remote()));
    sb.append(": ").append(r.outcome().label());
    if (r.errno() != null) {
      sb.append(' ').append(r.errno());
    }
    sb.append(String.format(Locale.ROOT, " after %.1f ms", r.elapsed().toNanos() / 1e6));
    sb.append(" [").append(r.mode().label());
    if (r.attempts().size() > 1) {
      sb.append(", ").append(r.attempts().size()).append(" attempts");
    }
    return sb.append("] - ").append(r.explanation()).toString();
  }

  /**
   * Everything about the failed dial.
   *
   * @return the failed dial's result
   */
  public DialResult result() {
    return result;
  }

  /**
   * Shorthand for {@code result().outcome()}.
   *
   * @return the outcome, never {@link Outcome#CONNECTED}
   */
  public Outcome outcome() {
    return result.outcome();
  }

  /**
   * Shorthand for {@code result().errno()}: the errno name and number, or {@code null}.
   *
   * @return the errno, or {@code null} when there was none
   */
  public Errno errno() {
    return result.errno();
  }
}
