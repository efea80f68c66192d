package dev.tcpdial.internal;

import dev.tcpdial.Attempt;
import dev.tcpdial.DialListener;
import dev.tcpdial.DialResult;
import dev.tcpdial.Target;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * A dial's events on their way to the user's {@link DialListener}, in order, through {@code
 * deliver} (the calling thread in blocking mode, a serial view of the dialer's executor on the
 * event loop). With no listener, nothing is built.
 */
final class Events {
  private final DialListener listener;
  private final Executor deliver;
  private final Target target;

  Events(DialListener listener, Executor deliver, Target target) {
    this.listener = listener;
    this.deliver = deliver;
    this.target = target;
  }

  boolean on() {
    return listener != DialListener.NONE;
  }

  void dialStart() {
    if (on()) {
      deliver.execute(() -> listener.dialStart(target));
    }
  }

  void resolved(List<InetAddress> addresses, Duration took) {
    if (on()) {
      deliver.execute(() -> listener.resolved(target, addresses, took));
    }
  }

  void attemptStart(int index, InetSocketAddress remote, Attempt.Reason reason, Duration at) {
    if (on()) {
      deliver.execute(() -> listener.attemptStart(target, index, remote, reason, at));
    }
  }

  void attemptFailed(Attempt a) {
    if (on()) {
      deliver.execute(() -> listener.attemptFailed(target, a));
    }
  }

  void finished(DialResult r) {
    JfrEvents.record(r);
    if (on()) {
      if (r.connected()) {
        Attempt winner = r.attempts().stream().filter(a -> a.outcome() == dev.tcpdial.Outcome.CONNECTED)
            .findFirst().orElseThrow();
        deliver.execute(() -> listener.connected(target, winner, r));
      } else {
        deliver.execute(() -> listener.dialFailed(target, r));
      }
    }
  }
}
