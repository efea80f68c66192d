package dev.tcpdial.exporter;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;

/**
 * Where {@code /probe} requests run: the first {@link #platform()} at once on reused platform
 * threads, any more on virtual threads.
 *
 * <p>A probe's blocking connect on a platform thread waits in the kernel; on a virtual thread it
 * parks and is woken through the JDK's poller, which measured 2-3x fewer {@code /probe} answers per
 * second on a 2-core machine. But a platform thread's stack costs about 95 KiB of resident memory
 * while its probe waits: 1,000 silent probes in flight held 96 MiB of stacks. So the probes a
 * busy scraper keeps in flight get platform threads, and a burst past them (many silent targets at
 * once) waits on virtual threads, whose stacks are small objects in the heap. {@code
 * --max-concurrent} still bounds them all.
 */
final class ProbeThreads implements AutoCloseable {
  private final int platform;
  private final Semaphore platformFree;
  private final ExecutorService pool;
  private volatile boolean closed;

  /** Platform threads for 8 probes per CPU, 16 to 64. */
  ProbeThreads() {
    this(Math.clamp(8L * Runtime.getRuntime().availableProcessors(), 16, 64));
  }

  ProbeThreads(int platform) {
    this.platform = platform;
    this.platformFree = new Semaphore(platform);
    this.pool = Executors.newCachedThreadPool(Thread.ofPlatform().name("tcpdial-probe-", 0)
        .daemon(true).factory());
  }

  /** How many probes at once get a platform thread. */
  int platform() {
    return platform;
  }

  /**
   * Runs {@code probe} on a platform thread if one of {@link #platform()} is free, else on a new
   * virtual thread.
   *
   * @throws RejectedExecutionException after {@link #close()}
   */
  void execute(Runnable probe) {
    if (closed) {
      throw new RejectedExecutionException("closed");
    }
    if (platformFree.tryAcquire()) {
      try {
        pool.execute(() -> {
          try {
            probe.run();
          } finally {
            platformFree.release();
          }
        });
      } catch (RejectedExecutionException e) {
        platformFree.release();
        throw e;
      }
      return;
    }
    Thread.ofVirtual().name("tcpdial-probe-v").start(probe);
  }

  /** Refuses new probes and interrupts the platform threads; probes are cancelled by their jobs. */
  @Override
  public void close() {
    closed = true;
    pool.shutdownNow();
  }
}
