package dev.tcpdial;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;

/**
 * Receives the events of every dial of a {@link Dialer}, with timings counted from the start of the
 * dial. All methods do nothing by default. Events of one dial arrive in order. They are delivered on
 * the dialer's executor (never on the event-loop thread) unless the dialer was built with an inline
 * executor; a listener must not block for long.
 */
public interface DialListener {

  /**
   * A dial of {@code target} started.
   *
   * @param target what is dialed
   */
  default void dialStart(Target target) {}

  /**
   * The name resolved; {@code addresses} in the order they will be dialed.
   *
   * @param target what is dialed
   * @param addresses the addresses, in dialing order
   * @param took how long resolution took
   */
  default void resolved(Target target, List<InetAddress> addresses, Duration took) {}

  /**
   * Attempt {@code attempt.index()} started (its outcome is not known yet).
   *
   * @param target what is dialed
   * @param index the attempt's index in the dial, from 0
   * @param remote the address and port of the attempt
   * @param reason why the attempt started
   * @param at when it started, counted from the dial's start
   */
  default void attemptStart(Target target, int index, java.net.InetSocketAddress remote,
      Attempt.Reason reason, Duration at) {}

  /**
   * An attempt failed; the dial may go on with other addresses or retries.
   *
   * @param target what is dialed
   * @param attempt the failed attempt
   */
  default void attemptFailed(Target target, Attempt attempt) {}

  /**
   * The dial connected through {@code attempt}.
   *
   * @param target what is dialed
   * @param attempt the attempt that connected
   * @param result the dial's result
   */
  default void connected(Target target, Attempt attempt, DialResult result) {}

  /**
   * The dial failed for good.
   *
   * @param target what is dialed
   * @param result the dial's result
   */
  default void dialFailed(Target target, DialResult result) {}

  /** A listener that ignores everything. */
  DialListener NONE = new DialListener() {};
}
