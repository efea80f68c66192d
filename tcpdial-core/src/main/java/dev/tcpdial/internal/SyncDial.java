package dev.tcpdial.internal;

import dev.tcpdial.Attempt;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One dial driven by the calling thread with blocking connects. An attempt runs on the caller
 * itself when nothing else can happen meanwhile (the only attempt in flight, no Happy Eyeballs delay
 * pending); when attempts must overlap, each runs on a virtual thread and reports through a queue.
 * Stopping an attempt closes its channel, which ends its blocking connect at once.
 */
final class SyncDial implements Race.Actions {

  /** One attempt's channel, as soon as it exists, so another thread can close it. */
  private static final class Handle {
    final int index;
    final InetSocketAddress remote;
    final long deadlineNanos;
    private SocketChannel channel;
    private boolean stopped;

    Handle(int index, InetSocketAddress remote, long deadlineNanos) {
      this.index = index;
      this.remote = remote;
      this.deadlineNanos = deadlineNanos;
    }

    synchronized void opened(SocketChannel ch) {
      channel = ch;
      if (stopped) {
        JdkConnect.closeQuietly(ch);
      }
    }

    void stop() {
      SocketChannel ch;
      synchronized (this) {
        stopped = true;
        ch = channel;
      }
      JdkConnect.closeQuietly(ch);
    }
  }

  private record Ended(Handle handle, JdkConnect.End end) {}

  private static final Ended WAKE = new Ended(null, null);

  private final DialCall call;
  private final Clock clock;
  private final LinkedBlockingQueue<Ended> ended = new LinkedBlockingQueue<>();
  private final List<Handle> handles = new ArrayList<>(2);
  private volatile boolean closed;
  private Race race;
  private long timerAt = Long.MAX_VALUE;
  private Handle inline;
  private SocketChannel winner;

  SyncDial(DialCall call, Clock clock) {
    this.call = call;
    this.clock = clock;
  }

  /** Runs the race to its end on this thread. */
  void run(List<InetSocketAddress> plan) {
    race = call.newRace(plan, this);
    race.begin(clock.nanoTime());
    while (!race.done()) {
      if (closed) {
        race.cancel(clock.nanoTime());
        break;
      }
      if (inline != null) {
        Handle h = inline;
        inline = null;
        deliver(h, JdkConnect.blocking(h.remote, call.setup(), h.deadlineNanos, clock, h::opened));
        continue;
      }
      Ended e;
      try {
        if (timerAt == Long.MAX_VALUE) {
          e = ended.take();
        } else {
          e = ended.poll(Math.max(0, timerAt - clock.nanoTime()), TimeUnit.NANOSECONDS);
        }
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt(); // the caller's interrupt stays visible
        race.cancel(clock.nanoTime());
        break;
      }
      if (e == null) {
        race.timerFired(clock.nanoTime());
      } else if (e != WAKE) {
        deliver(e.handle, e.end);
      }
    }
  }

  /** The dialer is closing: stop every attempt and wake the caller. Any thread. */
  void close() {
    closed = true;
    List<Handle> copy;
    synchronized (handles) {
      copy = List.copyOf(handles);
    }
    copy.forEach(Handle::stop);
    ended.add(WAKE);
  }

  private void deliver(Handle h, JdkConnect.End end) {
    boolean taken = race.attemptEnded(h.index, end.outcome(), end.errno(), end.local(), end.cause(),
        end.icmp(), clock.nanoTime());
    if (end.channel() != null) {
      if (taken && race.outcome() == dev.tcpdial.Outcome.CONNECTED && race.relevant() == h.index) {
        winner = end.channel();
        if (closed) {
          JdkConnect.closeQuietly(winner);
        }
      } else {
        JdkConnect.closeQuietly(end.channel()); // lost the race: closed, never leaked
      }
    }
  }

  /** The winning channel after {@link #run}, or null. */
  SocketChannel winner() {
    return winner;
  }

  Race race() {
    return race;
  }

  @Override
  public void startAttempt(int index, InetSocketAddress remote, Attempt.Reason reason, long deadlineNanos) {
    Handle h = new Handle(index, remote, deadlineNanos);
    synchronized (handles) {
      handles.add(h);
    }
    if (closed) {
      h.stop();
    }
    call.events().attemptStart(index, remote, reason, call.offset(clock.nanoTime()));
    if (race.inFlight() == 1 && !race.delayPending()) {
      inline = h;
    } else {
      Thread.ofVirtual().name("tcpdial-attempt-" + index).start(() -> ended.add(
          new Ended(h, JdkConnect.blocking(remote, call.setup(), deadlineNanos, clock, h::opened))));
    }
  }

  @Override
  public void stopAttempt(int index) {
    Handle h;
    synchronized (handles) {
      h = handles.get(index);
    }
    if (h == inline) {
      inline = null; // never started
    }
    h.stop();
  }

  @Override
  public void armTimer(long atNanos) {
    timerAt = atNanos;
  }

  @Override
  public void finished() {}

  @Override
  public void attemptRecorded(int index) {
    call.attemptRecorded(race, index);
  }
}
