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

  /** A dial of {@code target} started. */
  default void dialStart(Target target) {}

  /** The name resolved; {@code addresses} in the order they will be dialed. */
  default void resolved(Target target, List<InetAddress> addresses, Duration took) {}

  /** Attempt {@code attempt.index()} started (its outcome is not known yet). */
  default void attemptStart(Target target, int index, java.net.InetSocketAddress remote,
      Attempt.Reason reason, Duration at) {}

  /** An attempt failed; the dial may go on with other addresses or retries. */
  default void attemptFailed(Target target, Attempt attempt) {}

  /** The dial connected through {@code attempt}. */
  default void connected(Target target, Attempt attempt, DialResult result) {}

  /** The dial failed for good. */
  default void dialFailed(Target target, DialResult result) {}

  /** A listener that ignores everything. */
  DialListener NONE = new DialListener() {};
}
