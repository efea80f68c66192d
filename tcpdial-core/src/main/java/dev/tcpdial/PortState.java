package dev.tcpdial;

import java.util.Locale;
import java.util.Optional;

/**
 * A port's state as nmap names it, read from a dial's {@link Outcome}: what a scan reports and what
 * an expectation ({@code =open}, {@code expect: closed}) asks for. Outcomes that say nothing about
 * the port (a local problem, a failed lookup, a cancelled or otherwise failed dial) have no state.
 */
public enum PortState {
  /** The connect succeeds: {@link Outcome#CONNECTED}. */
  OPEN,
  /** The host answers with a reset: {@link Outcome#REFUSED}. */
  CLOSED,
  /**
   * Nothing useful comes back: {@link Outcome#TIMEOUT}, {@link Outcome#HOST_UNREACHABLE},
   * {@link Outcome#NETWORK_UNREACHABLE}, {@link Outcome#PROHIBITED}.
   */
  FILTERED;

  /**
   * The state an outcome shows.
   *
   * @param outcome a dial's outcome
   * @return its state, or empty when the outcome says nothing about the port
   */
  public static Optional<PortState> of(Outcome outcome) {
    return Optional.ofNullable(
        switch (outcome) {
          case CONNECTED -> OPEN;
          case REFUSED -> CLOSED;
          case TIMEOUT, HOST_UNREACHABLE, NETWORK_UNREACHABLE, PROHIBITED -> FILTERED;
          default -> null;
        });
  }

  /**
   * True when {@code outcome} shows this state.
   *
   * @param outcome a dial's outcome
   * @return whether it matches
   */
  public boolean matches(Outcome outcome) {
    return of(outcome).orElse(null) == this;
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
   * Parses a label, case-insensitive, surrounding blanks ignored.
   *
   * @param text the label, in any case
   * @return the state
   * @throws IllegalArgumentException when {@code text} is no label, with a one-line message
   */
  public static PortState parse(String text) {
    for (PortState s : values()) {
      if (s.label().equalsIgnoreCase(text.strip())) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "bad expectation '" + Target.shorten(text) + "': use open, closed or filtered");
  }
}
