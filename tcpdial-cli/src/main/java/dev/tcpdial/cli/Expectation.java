package dev.tcpdial.cli;

import dev.tcpdial.Outcome;
import java.util.Locale;

/** What a scan expects of a port, as nmap names port states. */
public enum Expectation {
  /** The connect succeeds: {@code connected}. */
  OPEN,
  /** The host answers with a reset: {@code refused}. */
  CLOSED,
  /** Nothing useful comes back: {@code timeout}, {@code host_unreachable}, {@code network_unreachable}, {@code prohibited}. */
  FILTERED;

  /**
   * True when {@code outcome} is what this expectation means.
   *
   * @param outcome a dial's outcome
   * @return whether it matches
   */
  public boolean matches(Outcome outcome) {
    return switch (this) {
      case OPEN -> outcome == Outcome.CONNECTED;
      case CLOSED -> outcome == Outcome.REFUSED;
      case FILTERED -> outcome == Outcome.TIMEOUT || outcome == Outcome.HOST_UNREACHABLE
          || outcome == Outcome.NETWORK_UNREACHABLE || outcome == Outcome.PROHIBITED;
    };
  }

  /**
   * {@code open}, {@code closed}, {@code filtered}.
   *
   * @return the label
   */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses a label, case-insensitive, with a one-line error.
   *
   * @param text the label, in any case
   * @return the expectation
   * @throws IllegalArgumentException when {@code text} is no label
   */
  public static Expectation parse(String text) {
    for (Expectation e : values()) {
      if (e.label().equalsIgnoreCase(text.strip())) {
        return e;
      }
    }
    throw new IllegalArgumentException("bad expectation '" + TargetList.shorten(text) + "': use open, closed or filtered");
  }
}
