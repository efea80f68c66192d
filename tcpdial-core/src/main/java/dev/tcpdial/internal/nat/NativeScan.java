package dev.tcpdial.internal.nat;

import dev.tcpdial.Attempt;
import dev.tcpdial.DialResult;
import dev.tcpdial.Errno;
import dev.tcpdial.Outcome;
import dev.tcpdial.Target;
import dev.tcpdial.Window;
import dev.tcpdial.WindowStats;
import dev.tcpdial.internal.Clock;
import dev.tcpdial.internal.DialEngine;
import dev.tcpdial.internal.Deadline;
import dev.tcpdial.internal.TimerQueue;
import dev.tcpdial.internal.window.Budget;
import dev.tcpdial.internal.window.CounterWatch;
import dev.tcpdial.internal.window.Feedback;
import dev.tcpdial.internal.window.KernelCounters;
import dev.tcpdial.internal.window.Pace;
import dev.tcpdial.internal.window.WindowControl;
import dev.tcpdial.internal.window.WindowHistogram;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Many probes at once for {@link dev.tcpdial.Dialer#probeEach}: one {@link NativeLoop} per core
 * (at most 4, and one per 16 probes the window may hold), each with a {@link Pump} that keeps its
 * share of the {@link WindowControl}'s window full from its own completions, so that no probe
 * crosses a thread on its way in or out.
 *
 * <p>The calling thread feeds them: it reads the targets (a source that blocks, such as a pipe,
 * holds up no loop), paces them ({@link Window#rate}) into one queue that every loop takes from,
 * and reads the kernel's drop counters every {@value #SAMPLE_MILLIS} ms. The queue holds a bounded
 * number of targets (4,096, or a twentieth of a second's worth under a rate), so a scan's memory
 * does not grow with its length.
 *
 * <p>Literal targets of a family the dialer may use go straight to {@link NativeLoop#submit}; any
 * other (a name, several addresses, the other family) takes the full path of {@link
 * NativeProbes#probeAsync} and still counts against the window, but tells it nothing.
 */
final class NativeScan {
  private static final long SAMPLE_MILLIS = 25;
  private static final long SAMPLE_NANOS = SAMPLE_MILLIS * 1_000_000L;
  private static final long FEED_WAIT_NANOS = 1_000_000L;

  private final NativeProbes owner;
  private final DialEngine.Settings settings;
  private final Clock clock;
  private final Iterator<Target> targets;
  private final Consumer<DialResult> results;
  private final Window window;
  private final WindowControl control;
  private final long timeoutNanos; // per probe: the connect timeout or the deadline, the shorter
  private final int burst;
  private final List<NativeLoop> loops = new ArrayList<>();
  private final List<Pump> pumps = new ArrayList<>();
  private final ConcurrentLinkedQueue<Target> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final int highWater;
  private final CountDownLatch pumpsDone;
  private volatile boolean exhausted;
  private volatile boolean stopped;
  private final AtomicBoolean feederParked = new AtomicBoolean();
  private volatile Thread feeder;

  NativeScan(NativeProbes owner, Iterator<Target> targets, Window window,
      Consumer<DialResult> results) {
    this.owner = owner;
    this.settings = owner.settings();
    this.clock = owner.clock();
    this.targets = targets;
    this.results = results;
    this.window = window;
    this.control = new WindowControl(window, window.isAdaptive() ? Budget.ceiling() : 1);
    this.timeoutNanos = Deadline.shorterNanos(owner.connectTimeoutNanos(),
        settings.deadline() == null ? 0 : Deadline.saturatedNanos(settings.deadline()));
    this.burst = Budget.burst();
    int most = control.ceiling();
    // One loop per core, at least 16 probes each; -Dtcpdial.scan.loops=N overrides it for
    // measurements (see BENCHMARKS.md).
    int workers = Integer.getInteger("tcpdial.scan.loops", Math.max(1, Math.min(
        Runtime.getRuntime().availableProcessors(), Math.min(4, most / 16))));
    NativeLoop.Options options = owner.loopOptions();
    int capacity = Math.min(1024, most / workers + 1);
    for (int i = 0; i < workers; i++) {
      try {
        loops.add(NativeLoop.start("tcpdial-scan-" + i, options, clock, capacity,
            owner.scanBackend()));
      } catch (NativeLoop.StartFailed e) {
        if (loops.isEmpty()) {
          throw e; // not one loop: the caller probes one by one, each probe says why
        }
        break; // the loops that started carry the whole window
      }
    }
    int n = loops.size();
    this.highWater = window.rate() > 0 ? Math.max(1, (int) Math.min(1024, window.rate() / 20))
        : Math.max(4096, 2 * burst * n);
    this.pumpsDone = new CountDownLatch(n);
    long origin = clock.nanoTime();
    for (int i = 0; i < n; i++) {
      pumps.add(new Pump(loops.get(i), i, n, origin));
    }
  }

  /**
   * Feeds the loops on the calling thread until every probe has ended; an interrupt stops the
   * scan (in-flight probes end cancelled and are reported). A target source that throws stops the
   * feeding: what was started ends and is reported, then the exception is thrown here.
   */
  WindowStats await() throws InterruptedException {
    feeder = Thread.currentThread();
    CounterWatch watch = control.adaptive() ? new CounterWatch(KernelCounters.proc()) : null;
    Pace pace = window.rate() > 0 ? new Pace(window.rate(), clock.nanoTime()) : null;
    long nextSample = clock.nanoTime() + SAMPLE_NANOS;
    RuntimeException sourceFailed = null;
    for (Pump p : pumps) {
      p.loop.execute(p::begin);
    }
    try {
      while (pumpsDone.getCount() > 0) {
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
        long now = clock.nanoTime();
        if (watch != null && now - nextSample >= 0) {
          nextSample = now + SAMPLE_NANOS;
          for (Window.Signal s : watch.poll()) {
            signal(s, now - SAMPLE_NANOS, now);
          }
        }
        long wait = exhausted ? SAMPLE_NANOS : FEED_WAIT_NANOS;
        if (!exhausted) {
          int want = highWater - queued.get();
          if (pace != null && want > 0) {
            int got = pace.take(want, now);
            if (got == 0) {
              wait = Math.max(1, Math.min(wait, pace.nanosToNext(now)));
            }
            want = got;
          }
          try {
            for (int i = 0; i < want; i++) {
              if (!targets.hasNext()) {
                endOfTargets();
                break;
              }
              queue.add(targets.next());
              queued.incrementAndGet();
              wakeStarving(); // the next hasNext() may block (a pipe): start this one now
            }
          } catch (RuntimeException e) {
            sourceFailed = e;
            endOfTargets();
          }
        }
        if (pumpsDone.getCount() == 0) {
          break;
        }
        feederParked.set(true);
        if (exhausted || queued.get() >= highWater / 2 || pace != null) {
          LockSupport.parkNanos(this, wait);
        }
        feederParked.set(false);
      }
    } catch (InterruptedException e) {
      stopped = true;
      queue.clear();
      loops.forEach(NativeLoop::close); // in-flight probes complete as cancelled, reported
      throw e;
    } finally {
      loops.forEach(NativeLoop::close);
    }
    if (sourceFailed != null) {
      throw sourceFailed;
    }
    long probed = 0;
    long retried = 0;
    WindowHistogram starts = new WindowHistogram();
    for (Pump p : pumps) {
      probed += p.delivered;
      retried += p.retried;
      starts.add(p.starts);
    }
    synchronized (control) {
      return control.stats(probed, starts, retried);
    }
  }

  private void endOfTargets() {
    exhausted = true;
    for (Pump p : pumps) {
      p.loop.execute(p::fill); // a loop with nothing in flight learns that it is done
    }
  }

  private void wakeStarving() {
    for (Pump p : pumps) {
      if (p.starving.get() && p.starving.compareAndSet(true, false)) {
        p.loop.execute(p::fill);
      }
    }
  }

  /** Wakes the feeding thread if it is parked; one loop's unpark per park. */
  private void wakeFeeder() {
    Thread f = feeder;
    if (f != null && feederParked.get() && feederParked.compareAndSet(true, false)) {
      LockSupport.unpark(f);
    }
  }

  private void signal(Window.Signal s, long sentNanos, long nowNanos) {
    synchronized (control) {
      control.signal(s, sentNanos, nowNanos, inFlight());
    }
  }

  private int inFlight() {
    int n = 0;
    for (Pump p : pumps) {
      n += p.inFlightView;
    }
    return n;
  }

  private int young() {
    int n = 0;
    for (Pump p : pumps) {
      n += p.youngView;
    }
    return n;
  }

  private int parked() {
    int n = 0;
    for (Pump p : pumps) {
      n += p.parkedView;
    }
    return n;
  }

  /** A probe to start again: the target and the tries it has had. */
  private record Retry(Target target, int tries) {}

  /**
   * One loop's share of the window, refilled from its own completions and its tick: at most
   * {@code burst} starts in a row before the loop lets the kernel's answers in.
   */
  private final class Pump implements NativeLoop.Completion {
    final NativeLoop loop;
    final int index;
    final int count;
    final Feedback feedback;
    final WindowHistogram starts = new WindowHistogram();
    final AtomicBoolean starving = new AtomicBoolean();
    final ArrayDeque<Retry> retries = new ArrayDeque<>();
    final Tick tick = new Tick();
    Target[] byCookie = new Target[16];
    InetSocketAddress[] remotes = new InetSocketAddress[16];
    byte[] tries = new byte[16];
    boolean[] parkable = new boolean[16];
    int[] nets = new int[16];
    int[] free = new int[16];
    int freeTop;
    int used;
    int inFlight;
    volatile int inFlightView;
    volatile int youngView; // of those, not parked as silent
    volatile int parkedView;
    int waitingRetries; // retries whose pause has not passed
    long lastFlush;
    long delivered; // read by the feeder after the latch
    long retried;
    boolean filling;
    boolean refillQueued;
    boolean finished;

    Pump(NativeLoop loop, int index, int count, long origin) {
      this.loop = loop;
      this.index = index;
      this.count = count;
      this.feedback = new Feedback(control.adaptive(), NativeScan.this::signal,
          control::suspect, origin);
      this.lastFlush = origin;
    }

    void begin() {
      loop.timers().schedule(tick, clock.nanoTime() + Feedback.TICK_NANOS);
      fill();
    }

    /** This loop's share of {@code total}; at least 1 (see {@link #room()}). */
    private int share(int total) {
      return Math.max(1, total / count + (index < total % count ? 1 : 0));
    }

    /**
     * True when this loop may start one more probe: its share of the probes in flight in all (the
     * ceiling) and of the window (the probes not parked as silent). At least one each, so that a
     * loop whose own retries wait never waits for a window smaller than the number of loops.
     */
    private boolean room() {
      return inFlight < share(control.limit())
          && control.young(inFlight, feedback.parked()) < share(control.window());
    }

    void fill() {
      filling = true;
      refillQueued = false;
      int started = 0;
      try {
        while (!stopped && room()) {
          if (started == burst) {
            // Probes to a local address mostly end inside connect(): without a pause this loop
            // would start the whole list before the kernel's answers were read, an open port's
            // answer would wait for all of them, and a burst longer than the input queue would
            // lose SYNs in it. At most a burst per turn.
            if (!refillQueued) {
              refillQueued = true;
              loop.nextTurn(this::fill);
            }
            break;
          }
          Retry r = retries.poll();
          Target t;
          int tried;
          if (r != null) {
            t = r.target;
            tried = r.tries;
          } else {
            t = take();
            if (t == null) {
              break;
            }
            tried = 0;
          }
          started++;
          start(t, tried);
        }
      } finally {
        filling = false;
      }
      finishIfDone();
    }

    private Target take() {
      Target t = queue.poll();
      if (t == null) {
        starving.set(true);
        t = queue.poll(); // a target offered just before the flag was up
        if (t == null) {
          wakeFeeder();
          return null;
        }
        starving.set(false);
      }
      if (queued.decrementAndGet() < highWater / 2) {
        wakeFeeder();
      }
      return t;
    }

    private void start(Target t, int tried) {
      starts.record(control.size());
      InetAddress a = t.literal().orElse(null);
      if (a == null || !usable(a) || loop.closing()) {
        inFlight++;
        inFlightView = inFlight;
        owner.probeAsync(t).whenComplete((res, e) -> {
          if (res != null) {
            deliver(res);
          }
          loop.execute(this::otherDone);
        });
        return;
      }
      int c = cookie();
      byCookie[c] = t;
      remotes[c] = new InetSocketAddress(a, t.port());
      tries[c] = (byte) tried;
      nets[c] = Feedback.network(a);
      inFlight++;
      long now = clock.nanoTime();
      parkable[c] = feedback.started(now, nets[c]);
      long deadline = Deadline.nanosAfter(now, timeoutNanos);
      loop.submit(a, t.port(), deadline, c, this); // may complete at once, re-entering below
    }

    private int cookie() {
      if (freeTop > 0) {
        return free[--freeTop];
      }
      if (used == byCookie.length) {
        int cap = used * 2;
        byCookie = Arrays.copyOf(byCookie, cap);
        remotes = Arrays.copyOf(remotes, cap);
        tries = Arrays.copyOf(tries, cap);
        parkable = Arrays.copyOf(parkable, cap);
        nets = Arrays.copyOf(nets, cap);
        free = Arrays.copyOf(free, cap);
      }
      return used++;
    }

    private boolean usable(InetAddress a) {
      if (!settings.family().allows(a)) {
        return false;
      }
      InetSocketAddress local = settings.local();
      return local == null || local.getAddress() == null || local.getAddress().isAnyLocalAddress()
          || (local.getAddress() instanceof Inet6Address) == (a instanceof Inet6Address);
    }

    private void otherDone() {
      inFlight--;
      inFlightView = inFlight;
      if (!filling && !refillQueued) {
        fill();
      }
    }

    @Override
    public void completed(int cookie, Outcome outcome, int errno, long elapsedNanos) {
      Target t = byCookie[cookie];
      InetSocketAddress remote = remotes[cookie];
      int tried = tries[cookie];
      int net = nets[cookie];
      byCookie[cookie] = null;
      remotes[cookie] = null;
      free[freeTop++] = cookie;
      inFlight--;
      long now = clock.nanoTime();
      Feedback.Next next = stopped ? Feedback.Next.REPORT
          : feedback.ended(outcome, errno, elapsedNanos, tried, net, parkable[cookie], now);
      switch (next) {
        case RETRY -> {
          retried++;
          retries.add(new Retry(t, tried + 1));
        }
        case RETRY_LATER -> {
          retried++;
          waitingRetries++;
          loop.timers().schedule(new Later(t, tried + 1), now + Feedback.pauseNanos(tried + 1));
        }
        case REPORT -> report(t, remote, tried, outcome, errno, elapsedNanos);
      }
      if (feedback.backlog() >= 64 || now - lastFlush >= Feedback.TICK_NANOS) {
        flush(now);
      }
      if (!filling && !refillQueued) {
        fill();
      }
    }

    private void report(Target t, InetSocketAddress remote, int tried, Outcome outcome, int errno,
        long elapsedNanos) {
      InetSocketAddress local = outcome == Outcome.CONNECTED ? loop.localAddress() : null;
      Errno e = errno == 0 ? null : Errno.of(errno);
      Duration took = Duration.ofNanos(elapsedNanos);
      // runs inside the probe's completion (REPORT), so the loop still knows who answered it
      Attempt a = new Attempt(tried, remote, local, outcome, e, Duration.ZERO, took,
          tried == 0 ? Attempt.Reason.FIRST : Attempt.Reason.RETRY, loop.icmp());
      deliver(new DialResult(t, outcome, e, remote, local, took, Duration.ZERO,
          List.of(remote.getAddress()), settings.mode(), owner.scanEngine(), List.of(a)));
    }

    private void deliver(DialResult r) {
      owner.finished(r);
      results.accept(r);
      synchronized (this) {
        delivered++;
      }
    }

    /** Hands what this loop saw to the window: probes that ended as expected, and how many. */
    private void flush(long now) {
      // the window that was in use is the one before this credit parks the silent probes
      youngView = control.young(inFlight, feedback.parked());
      inFlightView = inFlight;
      int acks = feedback.takeAcks(now);
      int ended = feedback.takeEnded();
      lastFlush = now;
      int parkedBefore = parkedView;
      parkedView = feedback.parked();
      if (acks > 0 || ended > 0 || parkedView != parkedBefore) {
        synchronized (control) {
          control.acked(acks, ended, young(), inFlight(), now);
          control.parked(parked());
        }
      }
      youngView = control.young(inFlight, feedback.parked());
    }

    private void finishIfDone() {
      if (!finished && (stopped || (exhausted && queue.isEmpty())) && inFlight == 0
          && retries.isEmpty() && waitingRetries == 0) {
        finished = true;
        flush(clock.nanoTime());
        loop.timers().remove(tick);
        pumpsDone.countDown();
        LockSupport.unpark(feeder);
      }
    }

    /** Every tick: silence credited, the window's news taken in. */
    private final class Tick extends TimerQueue.Timer {
      @Override
      protected void expired() {
        if (finished) {
          return;
        }
        long now = clock.nanoTime();
        flush(now);
        loop.timers().schedule(this, now + Feedback.TICK_NANOS);
        if (!filling && !refillQueued) {
          fill();
        }
      }
    }

    /** A probe that failed for a local reason, started again once its pause has passed. */
    private final class Later extends TimerQueue.Timer {
      final Target target;
      final int tried;

      Later(Target target, int tried) {
        this.target = target;
        this.tried = tried;
      }

      @Override
      protected void expired() {
        waitingRetries--;
        retries.add(new Retry(target, tried));
        if (!filling && !refillQueued) {
          fill();
        }
      }
    }
  }
}
