package dev.tcpdial.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One thread, one {@link Selector}, one {@link TimerQueue}. Only the loop thread touches the
 * selector, its keys and the timers; other threads hand it work with {@link #execute}, which wakes
 * the selector at most once per batch.
 *
 * <p>Shutdown: {@link #close()} makes the loop abort every registered channel and every timer that
 * is {@link Abortable}, run the tasks still queued (they see {@link #closing()} and abort
 * themselves), close the selector and end. A task handed over after that runs on the caller's
 * thread, so none is ever lost.
 */
public final class EventLoop implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(EventLoop.class.getName());


  /** What a selection key's attachment does when its channel is ready. */
  public interface Ready {
    /** The channel of {@code key} is ready for {@code key.readyOps()}. */
    void ready(SelectionKey key);
  }

  /** Something the loop must end (close, fail as cancelled) when it shuts down. */
  public interface Abortable {
    /** Ends it; called on the loop thread, or on the closing thread once the loop is gone. */
    void abort();
  }

  private static final int RUNNING = 0;
  private static final int CLOSING = 1;
  private static final int TERMINATED = 2;

  private final Selector selector;
  private final Thread thread;
  private final Clock clock;
  private final TimerQueue timers = new TimerQueue();
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  private volatile int state = RUNNING;
  // Work waiting for the selector to drop keys cancelled since the last select (see afterDeregistration()).
  private ArrayList<Runnable> awaitingDeregistration = new ArrayList<>();
  private ArrayList<Runnable> deregistering = new ArrayList<>();

  private EventLoop(String name, Clock clock) {
    this.clock = clock;
    try {
      this.selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a selector", e);
    }
    this.thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this::run);
  }

  /** Starts a loop on a new daemon platform thread called {@code name}. */
  public static EventLoop start(String name, Clock clock) {
    EventLoop loop = new EventLoop(name, clock);
    loop.thread.start();
    return loop;
  }

  /** True on the loop's own thread. */
  public boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  /** True once {@link #close()} was called. */
  public boolean closing() {
    return state != RUNNING;
  }

  /** The clock the loop's timers run on. */
  public Clock clock() {
    return clock;
  }

  /** The loop's selector; loop thread only. */
  public Selector selector() {
    return selector;
  }

  /** The loop's timers; loop thread only. */
  public TimerQueue timers() {
    return timers;
  }

  /** Runs {@code task} on the loop thread, soon; from the loop thread itself it is queued too. */
  public void execute(Runnable task) {
    tasks.add(task);
    if (state == TERMINATED) {
      drainTasks(); // the loop is gone: run it here; the task sees closing() and aborts
    } else if (!inLoop() && wakeupPending.compareAndSet(false, true)) {
      selector.wakeup();
    }
  }

  /**
   * Runs {@code task} after the next select, when the keys cancelled so far are deregistered and
   * their channels may be switched to blocking mode or registered elsewhere. Loop thread only.
   */
  public void afterDeregistration(Runnable task) {
    awaitingDeregistration.add(task);
  }

  private void run() {
    try {
      while (state == RUNNING) {
        // Tasks and deregistrations handed over since the last turn make the select not wait.
        boolean work = !tasks.isEmpty() || !awaitingDeregistration.isEmpty();
        ArrayList<Runnable> flushed = awaitingDeregistration;
        awaitingDeregistration = deregistering;
        deregistering = flushed;
        if (work) {
          selector.selectNow();
        } else {
          long next = timers.nextDeadline();
          if (next == Long.MAX_VALUE) {
            selector.select();
          } else {
            long waitNanos = next - clock.nanoTime();
            if (waitNanos <= 0) {
              selector.selectNow();
            } else {
              selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos + 999_999)));
            }
          }
        }
        wakeupPending.set(false);
        runAll(flushed);
        processSelected();
        drainTasks();
        timers.expire(clock.nanoTime());
      }
    } catch (IOException | ClosedSelectorException e) {
      // The selector broke; everything registered is aborted below.
    } finally {
      shutdown();
    }
  }

  private void processSelected() {
    var selected = selector.selectedKeys();
    if (selected.isEmpty()) {
      return;
    }
    Iterator<SelectionKey> it = selected.iterator();
    while (it.hasNext()) {
      SelectionKey key = it.next();
      it.remove();
      if (key.isValid() && key.attachment() instanceof Ready r) {
        r.ready(key);
      }
    }
  }

  private void drainTasks() {
    Runnable t;
    while ((t = tasks.poll()) != null) {
      try {
        t.run();
      } catch (RuntimeException | Error e) {
        // A task must not end the loop; it is our own code, so this is a bug worth showing.
        LOG.log(System.Logger.Level.ERROR, "a task of the event loop failed; the loop goes on", e);
      }
    }
  }

  private static void runAll(java.util.List<Runnable> list) {
    for (int i = 0; i < list.size(); i++) {
      list.get(i).run();
    }
    list.clear();
  }

  private void shutdown() {
    state = CLOSING;
    drainTasks();
    try {
      for (SelectionKey key : selector.keys()) {
        if (key.attachment() instanceof Abortable a) {
          a.abort();
        }
      }
    } catch (ClosedSelectorException ignored) {
      // already closed
    }
    for (TimerQueue.Timer t : timers.drain()) {
      if (t instanceof Abortable a) {
        a.abort();
      }
    }
    runAll(deregistering);
    runAll(awaitingDeregistration);
    try {
      selector.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
    state = TERMINATED;
    drainTasks();
  }

  /**
   * Stops the loop: every registered connect and every pending timer is aborted, then the thread
   * ends. Waits up to 10 s for that. Idempotent.
   */
  @Override
  public void close() {
    if (state == RUNNING) {
      state = CLOSING;
      selector.wakeup();
    }
    if (!inLoop()) {
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
