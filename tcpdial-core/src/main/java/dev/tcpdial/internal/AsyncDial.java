package dev.tcpdial.internal;

import dev.tcpdial.Attempt;
import dev.tcpdial.Errno;
import dev.tcpdial.IcmpReport;
import dev.tcpdial.Outcome;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * One dial driven by the event loop: the {@link Race}'s actions carried out with non-blocking
 * channels, the race fed by a {@link RaceDriver}. Every method runs on the loop thread, so the
 * race, the attempts, their keys and timers have one owner and need no locks; exactly-once follows
 * from the race ignoring late reports.
 */
final class AsyncDial extends TimerQueue.Timer implements Race.Actions, EventLoop.Abortable {

  private final DialCall call;
  private final EventLoop loop;
  private final List<Connect> connects = new ArrayList<>(2);
  private final RaceDriver driver;
  private Race race;
  private volatile boolean cancelled; // asked before the race began (while resolving)

  AsyncDial(DialCall call, EventLoop loop) {
    this.call = call;
    this.loop = loop;
    driver = new RaceDriver(loop.clock());
  }

  /** Starts the race over {@code addresses}; loop thread. */
  void begin(List<InetSocketAddress> addresses) {
    if (loop.closing() || cancelled) {
      call.finishWithoutAttempts(Outcome.CANCELLED, null);
      return;
    }
    race = call.newRace(addresses, this);
    driver.begin(race);
  }

  /** The caller cancelled; any thread. */
  void cancel() {
    cancelled = true;
    loop.execute(driver::cancel);
  }

  @Override
  public void abort() {
    driver.cancel();
  }

  @Override
  protected void expired() {
    driver.timerFired();
  }

  // Reports that arrive while the race is deciding (a connect that finished at once) wait in the
  // driver, so the race is never entered twice.
  private void report(Connect c) {
    driver.report(c);
  }

  @Override
  public void startAttempt(int index, InetSocketAddress remote, Attempt.Reason reason, long deadlineNanos) {
    Connect c = new Connect(index, remote, deadlineNanos);
    connects.add(c);
    call.events().attemptStart(index, remote, reason, call.offset(loop.clock().nanoTime()));
    c.start();
  }

  @Override
  public void stopAttempt(int index) {
    connects.get(index).release();
  }

  @Override
  public void attemptRecorded(int index) {
    call.attemptRecorded(race, index);
  }

  @Override
  public void armTimer(long atNanos) {
    loop.timers().schedule(this, atNanos);
  }

  @Override
  public void finished() {
    if (race.outcome() == Outcome.CONNECTED) {
      Connect w = connects.get(race.relevant());
      SocketChannel ch = w.channel;
      w.channel = null;
      if (!call.keep()) {
        JdkConnect.closeWithReset(ch);
        call.finish(race, null);
      } else if (w.key != null) {
        // The caller gets the channel unregistered: wait for the selector to drop the key.
        w.key.cancel();
        w.key = null;
        loop.afterDeregistration(() -> call.finish(race, ch));
      } else {
        call.finish(race, ch);
      }
    } else {
      call.finish(race, null);
    }
  }

  /** One attempt: a non-blocking channel, its key and its deadline. */
  private final class Connect extends TimerQueue.Timer
      implements EventLoop.Ready, EventLoop.Abortable, RaceDriver.Report {
    final int attempt; // the race's attempt number (not the timer heap's index)
    final InetSocketAddress remote;
    final long deadlineNanos;
    SocketChannel channel;
    SelectionKey key;
    Outcome outcome;
    Errno errno;
    InetSocketAddress local;
    Throwable cause;
    IcmpReport icmp;
    JdkErrQueue queue;
    int selfTries;

    Connect(int index, InetSocketAddress remote, long deadlineNanos) {
      this.attempt = index;
      this.remote = remote;
      this.deadlineNanos = deadlineNanos;
    }

    void start() {
      try {
        channel = JdkConnect.open(remote, call.setup(), false);
      } catch (IOException | RuntimeException e) {
        fail(e, false);
        return;
      }
      queue = JdkErrQueue.attach(channel, remote);
      try {
        if (channel.connect(remote)) {
          succeed();
          return;
        }
        key = channel.register(loop.selector(), SelectionKey.OP_CONNECT, this);
        loop.timers().schedule(this, deadlineNanos);
      } catch (IOException | RuntimeException e) {
        fail(e, true);
      }
    }

    @Override
    public void ready(SelectionKey k) {
      try {
        if (channel.finishConnect()) {
          succeed();
        }
      } catch (IOException | RuntimeException e) {
        fail(e, true);
      }
    }

    @Override
    protected void expired() {
      local = JdkConnect.localOf(channel);
      release();
      outcome = Outcome.TIMEOUT; // our deadline; the kernel was still trying
      report(this);
    }

    @Override
    public void abort() {
      AsyncDial.this.abort();
    }

    @Override
    public int attempt() {
      return attempt;
    }

    @Override
    public Outcome outcome() {
      return outcome;
    }

    @Override
    public Errno errno() {
      return errno;
    }

    @Override
    public InetSocketAddress local() {
      return local;
    }

    @Override
    public Throwable cause() {
      return cause;
    }

    @Override
    public IcmpReport icmp() {
      return icmp;
    }

    @Override
    public void late() {
      release(); // the race was decided without it: a late connection is closed
    }

    private void succeed() {
      if (JdkConnect.selfConnected(channel)) {
        if (selfTries++ < 2 && !JdkConnect.fixedSourcePort(call.setup())) {
          release(); // connected to itself: try from another port
          start();
        } else {
          local = JdkConnect.localOf(channel);
          release();
          outcome = Outcome.REFUSED;
          cause = JdkConnect.selfConnect();
          report(this);
        }
        return;
      }
      loop.timers().remove(this);
      closeQueue();
      outcome = Outcome.CONNECTED;
      local = JdkConnect.localOf(channel);
      report(this);
    }

    private void fail(Throwable e, boolean connecting) {
      Errnos.Classified c = Errnos.classify(e, connecting);
      outcome = c.outcome();
      errno = c.errno();
      cause = e;
      if (channel != null) {
        local = JdkConnect.localOf(channel);
      }
      if (queue != null && connecting) {
        icmp = queue.failed(errno); // the JDK closed the channel: the second descriptor remains
      }
      release();
      report(this);
    }

    /** Closes the channel (if still ours) and drops the key and the timer. */
    void release() {
      loop.timers().remove(this);
      if (key != null) {
        key.cancel();
        key = null;
      }
      JdkConnect.closeQuietly(channel);
      channel = null;
      closeQueue();
    }

    private void closeQueue() {
      if (queue != null) {
        queue.close();
        queue = null;
      }
    }
  }
}
