package dev.tcpdial.internal.nat;

import dev.tcpdial.Attempt;
import dev.tcpdial.DialResult;
import dev.tcpdial.Engine;
import dev.tcpdial.Errno;
import dev.tcpdial.Outcome;
import dev.tcpdial.Target;
import dev.tcpdial.internal.Clock;
import dev.tcpdial.internal.DialEngine;
import dev.tcpdial.internal.Deadline;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * Many probes at once for {@link dev.tcpdial.Dialer#probeEach}: one {@link NativeLoop} per core,
 * each keeping its share of the window full from its own completions, so no probe crosses a thread
 * on its way in. Literal targets of a family the dialer may use go straight to {@link
 * NativeLoop#submit}; any other (a name, several addresses, the other family) takes the full path
 * of {@link NativeProbes#probeAsync} and still counts against the window.
 */
final class NativeScan {

  private final NativeProbes owner;
  private final DialEngine.Settings settings;
  private final Clock clock;
  private final Iterator<Target> targets;
  private final Consumer<DialResult> results;
  private final CountDownLatch pumpsDone;
  private final long timeoutNanos; // per probe: the connect timeout or the deadline, the shorter
  private final List<NativeLoop> loops = new ArrayList<>();
  private volatile boolean stopped;
  private long delivered; // guarded by this

  NativeScan(NativeProbes owner, Iterator<Target> targets, int concurrency,
      Consumer<DialResult> results) {
    this.owner = owner;
    this.settings = owner.settings();
    this.clock = owner.clock();
    this.targets = targets;
    this.results = results;
    this.timeoutNanos = Deadline.shorterNanos(owner.connectTimeoutNanos(),
        settings.deadline() == null ? 0 : Deadline.saturatedNanos(settings.deadline()));
    // One loop per core, at least 16 probes each; -Dtcpdial.scan.loops=N overrides it for
    // measurements (see BENCHMARKS.md).
    int workers = Integer.getInteger("tcpdial.scan.loops", Math.max(1, Math.min(
        Runtime.getRuntime().availableProcessors(), Math.min(4, concurrency / 16))));
    NativeLoop.Options options = owner.loopOptions();
    int share0 = concurrency / workers + (concurrency % workers > 0 ? 1 : 0);
    for (int i = 0; i < workers; i++) {
      try {
        loops.add(NativeLoop.start("tcpdial-scan-" + i, options, clock, share0,
            owner.scanBackend()));
      } catch (NativeLoop.StartFailed e) {
        if (loops.isEmpty()) {
          throw e; // not one loop: the caller probes one by one, each probe says why
        }
        break; // the loops that started carry the whole window
      }
    }
    int n = loops.size();
    this.pumpsDone = new CountDownLatch(n);
    for (int i = 0; i < n; i++) {
      NativeLoop loop = loops.get(i);
      Pump p = new Pump(loop, concurrency / n + (i < concurrency % n ? 1 : 0));
      loop.execute(p::fill);
    }
  }

  /** Waits for every probe; an interrupt stops the scan (in-flight probes end cancelled). */
  long await() throws InterruptedException {
    try {
      pumpsDone.await();
    } catch (InterruptedException e) {
      stopped = true;
      loops.forEach(NativeLoop::close); // in-flight probes complete as cancelled, reported
      throw e;
    } finally {
      loops.forEach(NativeLoop::close);
    }
    synchronized (this) {
      return delivered;
    }
  }

  private Target next() {
    if (stopped) {
      return null;
    }
    synchronized (targets) {
      return targets.hasNext() ? targets.next() : null;
    }
  }

  private void deliver(DialResult r) {
    owner.finished(r);
    results.accept(r);
    synchronized (this) {
      delivered++;
    }
  }

  /** One loop's share of the window, refilled from its own completions. */
  private final class Pump implements NativeLoop.Completion {
    final NativeLoop loop;
    final int quota;
    final Target[] byCookie;
    final InetSocketAddress[] remotes;
    final int[] free;
    int freeTop;
    int inFlight;
    boolean filling;
    boolean refillQueued;
    boolean exhausted;
    boolean finished;

    Pump(NativeLoop loop, int quota) {
      this.loop = loop;
      this.quota = Math.max(1, quota);
      this.byCookie = new Target[this.quota];
      this.remotes = new InetSocketAddress[this.quota];
      this.free = new int[this.quota];
      for (int i = 0; i < this.quota; i++) {
        free[i] = i;
      }
      this.freeTop = this.quota;
    }

    void fill() {
      filling = true;
      refillQueued = false;
      int started = 0;
      try {
        while (inFlight < quota && !exhausted) {
          if (started++ == quota) {
            // Probes to a local address mostly end inside connect(): without a pause this loop
            // would start the whole list before epoll_wait ever ran again, and a connection that
            // is answered later (an open port) would wait for all of them. One window per turn.
            if (!refillQueued) {
              refillQueued = true;
              loop.nextTurn(this::fill);
            }
            break;
          }
          Target t = next();
          if (t == null) {
            exhausted = true;
            break;
          }
          InetAddress a = t.literal().orElse(null);
          if (a == null || !usable(a) || loop.closing()) {
            inFlight++;
            owner.probeAsync(t).whenComplete((r, e) -> {
              if (r != null) {
                deliver(r);
              }
              loop.execute(this::otherDone);
            });
            continue;
          }
          int c = free[--freeTop];
          byCookie[c] = t;
          remotes[c] = new InetSocketAddress(a, t.port());
          inFlight++;
          long deadline = Deadline.nanosAfter(clock.nanoTime(), timeoutNanos);
          loop.submit(a, t.port(), deadline, c, this); // may complete at once, re-entering below
        }
      } finally {
        filling = false;
      }
      if (exhausted && inFlight == 0 && !finished) {
        finished = true;
        pumpsDone.countDown();
      }
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
      if (!filling && !refillQueued) {
        fill();
      }
    }

    @Override
    public void completed(int cookie, Outcome outcome, int errno, long elapsedNanos) {
      Target t = byCookie[cookie];
      InetSocketAddress remote = remotes[cookie];
      byCookie[cookie] = null;
      remotes[cookie] = null;
      free[freeTop++] = cookie;
      inFlight--;
      InetSocketAddress local = outcome == Outcome.CONNECTED ? loop.localAddress() : null;
      Errno e = errno == 0 ? null : Errno.of(errno);
      Duration took = Duration.ofNanos(elapsedNanos);
      Attempt a = new Attempt(0, remote, local, outcome, e, Duration.ZERO, took,
          Attempt.Reason.FIRST, loop.icmp());
      deliver(new DialResult(t, outcome, e, remote, local, took, Duration.ZERO,
          List.of(remote.getAddress()), settings.mode(), owner.scanEngine(), List.of(a)));
      if (!filling && !refillQueued) {
        fill();
      }
    }
  }
}
