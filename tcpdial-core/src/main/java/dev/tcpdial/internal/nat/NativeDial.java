package dev.tcpdial.internal.nat;

import dev.tcpdial.Attempt;
import dev.tcpdial.DialListener;
import dev.tcpdial.DialResult;
import dev.tcpdial.Engine;
import dev.tcpdial.Errno;
import dev.tcpdial.IcmpReport;
import dev.tcpdial.Outcome;
import dev.tcpdial.Target;
import dev.tcpdial.internal.Deadline;
import dev.tcpdial.internal.EventLoop;
import dev.tcpdial.internal.Race;
import dev.tcpdial.internal.RaceDriver;
import dev.tcpdial.internal.TimerQueue;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * One probe on a {@link NativeLoop}: the {@link Race} (Happy Eyeballs, deadline, retries) with its
 * attempts carried out as native slots, or, for a single address with no retries, one slot and no
 * race at all; the race is fed by a {@link RaceDriver}, as the JDK engine's is. Every method but
 * {@link #cancel()} runs on the loop thread. The result is built once,
 * at the end, like the JDK engine's, with the backend that ran.
 */
final class NativeDial extends TimerQueue.Timer
    implements Race.Actions, NativeLoop.Completion, EventLoop.Abortable {

  private final NativeProbes owner;
  private final NativeLoop loop;
  private final Target target;
  private final long startNanos;
  private final Deadline deadline;
  private final Consumer<DialResult> sink;
  private List<InetAddress> addresses = List.of();
  private long resolutionNanos;
  private Race race;
  private RaceDriver driver; // race path only, like handles
  private long[] handles;
  private boolean done;
  private volatile int delivered; // 1 once the result went out (the resolver's thread may race)
  private static final java.lang.invoke.VarHandle DELIVERED;

  static {
    try {
      DELIVERED = java.lang.invoke.MethodHandles.lookup()
          .findVarHandle(NativeDial.class, "delivered", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
  private volatile Thread resolving;
  // the single-address path
  private boolean single;
  private long singleHandle = -1;
  private InetSocketAddress singleRemote;
  private long singleStart;

  private record Report(int attempt, Outcome outcome, Errno errno, InetSocketAddress local,
      IcmpReport icmp) implements RaceDriver.Report {
    @Override
    public Throwable cause() {
      return null;
    }
  }

  NativeDial(NativeProbes owner, NativeLoop loop, Target target, long startNanos, Deadline deadline,
      Consumer<DialResult> sink) {
    this.owner = owner;
    this.loop = loop;
    this.target = target;
    this.startNanos = startNanos;
    this.deadline = deadline;
    this.sink = sink;
  }

  Target target() {
    return target;
  }

  Deadline deadline() {
    return deadline;
  }

  /** The thread resolving the name; a cancel interrupts it. */
  void resolving(Thread t) {
    resolving = t;
  }

  void resolved(List<InetAddress> inOrder, long tookNanos) {
    addresses = List.copyOf(inOrder);
    resolutionNanos = tookNanos;
  }

  /** Starts the attempts over {@code plan}; loop thread. */
  void begin(List<InetSocketAddress> plan) {
    if (delivered != 0) {
      return; // cancelled while resolving
    }
    if (loop.closing()) {
      if (loop.stopReason() != null) { // not closed: stopped by its kernel interface
        finishWithoutAttempts(Outcome.ERROR, loop.stopErrno(), loop.stopReason());
      } else {
        finishWithoutAttempts(Outcome.CANCELLED);
      }
      return;
    }
    long now = loop.clock().nanoTime();
    if (plan.size() == 1 && owner.settings().retry().maxRetries() == 0) {
      single = true;
      singleRemote = plan.get(0);
      if (deadline.expired(now)) {
        finishWithoutAttempts(Outcome.TIMEOUT);
        return;
      }
      long timeout = Deadline.afterNanos(now, owner.connectTimeoutNanos()).min(deadline).nanos();
      singleStart = now;
      owner.events().attemptStart(target, 0, singleRemote, Attempt.Reason.FIRST, offset(now));
      singleHandle = loop.submit(singleRemote.getAddress(), singleRemote.getPort(), timeout, 0, this);
      return;
    }
    handles = new long[Math.max(2, plan.size())];
    driver = new RaceDriver(loop.clock());
    race = new Race(plan, new Race.Config(owner.settings().attemptDelay().toNanos(),
        owner.connectTimeoutNanos(), owner.settings().retry()), startNanos, deadline, this,
        ThreadLocalRandom.current());
    driver.begin(race);
  }

  /** The caller gave up; any thread. */
  void cancel() {
    loop.execute(this::abort);
  }

  @Override
  public void abort() {
    if (done || delivered != 0) {
      return;
    }
    if (race != null) {
      driver.cancel();
    } else if (single) {
      if (loop.cancel(singleHandle)) {
        singleEnded(Outcome.CANCELLED, 0, null, null, loop.clock().nanoTime());
      }
    } else {
      // still resolving: end now; begin() and the resolver's own end find it delivered
      finishWithoutAttempts(Outcome.CANCELLED);
      Thread t = resolving;
      if (t != null) {
        t.interrupt();
      }
    }
  }

  // ---- NativeLoop.Completion ----

  @Override
  public void completed(int index, Outcome outcome, int errno, long elapsedNanos) {
    // the local address where the JDK engine knows one too: connected, or stopped by our deadline
    InetSocketAddress local = outcome == Outcome.CONNECTED || (outcome == Outcome.TIMEOUT && errno == 0)
        ? loop.localAddress() : null;
    IcmpReport icmp = loop.icmp();
    if (single) {
      singleEnded(outcome, errno, local, icmp, singleStart + elapsedNanos);
      return;
    }
    driver.report(new Report(index, outcome, errno == 0 ? null : Errno.of(errno), local, icmp));
  }

  private void singleEnded(Outcome outcome, int errno, InetSocketAddress local, IcmpReport icmp,
      long end) {
    singleHandle = -1;
    Errno e = errno == 0 ? null : Errno.of(errno);
    Attempt a = new Attempt(0, singleRemote, local, outcome, e, offset(singleStart),
        Duration.ofNanos(Math.max(0, end - singleStart)), Attempt.Reason.FIRST, icmp);
    if (outcome != Outcome.CONNECTED) {
      owner.events().attemptFailed(target, a);
    }
    done = true;
    // an error the loop's own kernel interface caused says so; any other result explains itself
    String why = outcome == Outcome.ERROR ? loop.stopReason() : null;
    deliver(new DialResult(target, outcome, e, singleRemote, local, offset(loop.clock().nanoTime()),
        Duration.ofNanos(resolutionNanos), addresses, owner.settings().mode(), owner.engine(),
        List.of(a), why));
  }

  // ---- Race.Actions ----

  @Override
  public void startAttempt(int index, InetSocketAddress remote, Attempt.Reason reason,
      long deadlineNanos) {
    if (index >= handles.length) {
      handles = Arrays.copyOf(handles, handles.length * 2);
    }
    handles[index] = -1;
    owner.events().attemptStart(target, index, remote, reason, offset(loop.clock().nanoTime()));
    handles[index] = loop.submit(remote.getAddress(), remote.getPort(), deadlineNanos, index, this);
  }

  @Override
  public void stopAttempt(int index) {
    loop.cancel(handles[index]);
  }

  @Override
  public void attemptRecorded(int index) {
    Attempt a = race.attempt(index);
    if (a.outcome() != Outcome.CONNECTED) {
      owner.events().attemptFailed(target, a);
    }
  }

  @Override
  public void armTimer(long atNanos) {
    loop.timers().schedule(this, atNanos);
  }

  @Override
  protected void expired() {
    driver.timerFired();
  }

  @Override
  public void finished() {
    done = true;
    deliver(new DialResult(target, race.outcome(), race.errno(), race.remote(), race.local(),
        offset(loop.clock().nanoTime()), Duration.ofNanos(resolutionNanos), addresses,
        owner.settings().mode(), owner.engine(), race.attempts()));
  }

  // ---- results ----

  void finishWithoutAttempts(Outcome outcome) {
    finishWithoutAttempts(outcome, null);
  }

  /** Ends the dial before any attempt, with one line on why ({@code null}: nothing to add). */
  void finishWithoutAttempts(Outcome outcome, String detail) {
    finishWithoutAttempts(outcome, 0, detail);
  }

  /** The same with the errno that ended it (0: none). */
  void finishWithoutAttempts(Outcome outcome, int errno, String detail) {
    done = true;
    deliver(new DialResult(target, outcome, errno == 0 ? null : Errno.of(errno), null, null,
        offset(owner.clock().nanoTime()), Duration.ofNanos(resolutionNanos), addresses,
        owner.settings().mode(), owner.engine(), List.of(), detail));
  }

  private void deliver(DialResult r) {
    if (!DELIVERED.compareAndSet(this, 0, 1)) {
      return;
    }
    owner.finished(r);
    sink.accept(r);
  }

  private Duration offset(long now) {
    return Duration.ofNanos(Math.max(0, now - startNanos));
  }

  /** A dial's events for the dialer's {@link DialListener}, in order, or nothing without one. */
  static final class Events {
    private final DialListener listener;
    private final java.util.concurrent.Executor deliver;

    Events(DialListener listener, java.util.concurrent.Executor deliver) {
      this.listener = listener;
      this.deliver = deliver;
    }

    boolean on() {
      return listener != DialListener.NONE;
    }

    void dialStart(Target t) {
      if (on()) {
        deliver.execute(() -> listener.dialStart(t));
      }
    }

    void resolved(Target t, List<InetAddress> addresses, Duration took) {
      if (on()) {
        deliver.execute(() -> listener.resolved(t, addresses, took));
      }
    }

    void attemptStart(Target t, int index, InetSocketAddress remote, Attempt.Reason reason,
        Duration at) {
      if (on()) {
        deliver.execute(() -> listener.attemptStart(t, index, remote, reason, at));
      }
    }

    void attemptFailed(Target t, Attempt a) {
      if (on()) {
        deliver.execute(() -> listener.attemptFailed(t, a));
      }
    }

    void finished(DialResult r) {
      if (!on()) {
        return;
      }
      if (r.connected()) {
        Attempt winner = r.attempts().stream().filter(a -> a.outcome() == Outcome.CONNECTED)
            .findFirst().orElseThrow();
        deliver.execute(() -> listener.connected(r.target(), winner, r));
      } else {
        deliver.execute(() -> listener.dialFailed(r.target(), r));
      }
    }
  }
}
