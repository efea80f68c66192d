package dev.tcpdial;

import java.util.Objects;
import java.util.function.IntConsumer;

/**
 * How many probes {@link Dialer#probeEach(java.util.Iterator, Window, java.util.function.Consumer)}
 * keeps in flight, and how fast it may start them. Immutable; each {@code with} method returns a
 * new window.
 *
 * <p>The unit is probes: one probe in flight holds one socket (one file descriptor, one local
 * port toward its destination) from its start to its end.
 *
 * <ul>
 *   <li>{@link #fixed(int)}: exactly that many in flight whenever there are targets left, whatever
 *       the path does; the window shrinks only when this machine cannot hold it (a socket or a
 *       local port refused: {@code EMFILE}, {@code ENFILE}, {@code ENOBUFS}, {@code ENOMEM},
 *       {@code EADDRNOTAVAIL}, {@code EAGAIN}) and grows back by one per completed probe.
 *   <li>{@link #adaptive()} (the default of {@code probeEach(targets, 0, results)} and of {@code
 *       tcpdial scan}): starts at {@link #DEFAULT_INITIAL} and grows while probes end as expected
 *       (answered in about the time answers take, or silent: a target that never answers is not a
 *       loss), up to the {@linkplain #ceiling() ceiling}; halves when there are signs that probes
 *       are being lost or delayed on this machine or on the path (the {@link Signal}s). A silent
 *       range opens it to the ceiling within about a second.
 * </ul>
 *
 * <p>Either way a probe that ended for a local reason (the errnos above) is not reported: it is
 * started again after a pause, at most {@value #LOCAL_RETRIES} times, and only its last try is
 * reported. With an adaptive window a probe that timed out while a {@link Signal} said probes
 * were being lost, in a scan that has had answers, is started again too (at most three times),
 * so that a lost SYN does not make a closed or open port look silent.
 *
 * <p>The default ceiling is the descriptor budget (the soft {@code RLIMIT_NOFILE} less the
 * descriptors open when the scan starts and a headroom for the engine) and the free ephemeral
 * ports (the size of {@code net.ipv4.ip_local_port_range} less the TCP sockets of this network
 * namespace), the smaller; {@link #max(int)} lowers it.
 */
public final class Window {
  /** Where an adaptive window starts: {@value} probes. */
  public static final int DEFAULT_INITIAL = 16;

  /** Tries after the first for a probe that ended for a local reason. */
  public static final int LOCAL_RETRIES = 3;

  private static final IntConsumer NO_OBSERVER = size -> {};

  private final boolean adaptive;
  private final int size; // fixed: the size; adaptive: the initial size
  private final int max; // 0: the budget
  private final double rate; // starts per second, 0: no limit
  private final IntConsumer observer;

  private Window(boolean adaptive, int size, int max, double rate, IntConsumer observer) {
    this.adaptive = adaptive;
    this.size = size;
    this.max = max;
    this.rate = rate;
    this.observer = observer;
  }

  /**
   * Why an adaptive window was made smaller. Each names what it protects; the window halves at
   * most once per flight of probes (the probes started before the last cut cannot cut it again).
   */
  public enum Signal {
    /**
     * A socket or a local port was refused ({@code EMFILE}, {@code ENFILE}, {@code ENOBUFS},
     * {@code ENOMEM}, {@code EADDRNOTAVAIL}, {@code EAGAIN}): protects this process's descriptors,
     * the kernel's socket memory and the ephemeral ports. Also lowers the ceiling to what was in
     * flight then.
     */
    LOCAL_RESOURCES,
    /**
     * The per-CPU input queue dropped packets ({@code /proc/net/softnet_stat}, beyond {@code
     * net.core.netdev_max_backlog}): protects the SYNs and answers that loopback and veth links
     * pass through that queue. The counter is the machine's, not this scan's.
     */
    INPUT_QUEUE_DROPS,
    /**
     * A listener's accept queue overflowed in this network namespace ({@code TcpExt ListenDrops},
     * {@code ListenOverflows}): protects the SYNs sent to this machine's own servers.
     */
    LISTEN_QUEUE_DROPS,
    /**
     * An interface's transmit queue dropped packets ({@code /proc/net/dev}): protects the SYNs
     * on their way out of this machine.
     */
    TRANSMIT_DROPS,
    /**
     * An answer came after the SYN had been sent again (later than the kernel's first SYN
     * retransmission, 1 s) from a network whose other answers came much sooner: the first SYN or
     * its answer was lost on the way, as when nmap sees an answer to a retransmitted probe.
     */
    LATE_ANSWERS
  }

  /**
   * An adaptive window with the default ceiling and no rate limit.
   *
   * @return a new adaptive window
   */
  public static Window adaptive() {
    return new Window(true, DEFAULT_INITIAL, 0, 0, NO_OBSERVER);
  }

  /**
   * A window of exactly {@code probes} in flight.
   *
   * @param probes probes in flight, at least 1
   * @return a new fixed window
   * @throws IllegalArgumentException when {@code probes} is below 1
   */
  public static Window fixed(int probes) {
    if (probes < 1) {
      throw new IllegalArgumentException("a fixed window needs at least 1 probe: " + probes);
    }
    return new Window(false, probes, probes, 0, NO_OBSERVER);
  }

  /**
   * The window {@code probeEach(targets, concurrency, results)} uses: {@link #adaptive()} for 0,
   * {@link #fixed(int)} for 1 and more.
   *
   * @param concurrency 0 for adaptive, else probes in flight
   * @return the window
   * @throws IllegalArgumentException when {@code concurrency} is negative
   */
  public static Window ofConcurrency(int concurrency) {
    if (concurrency < 0) {
      throw new IllegalArgumentException(
          "concurrency must be 0 (adaptive) or at least 1: " + concurrency);
    }
    return concurrency == 0 ? adaptive() : fixed(concurrency);
  }

  /**
   * This window with a ceiling of {@code probes}: an adaptive window never grows above it (nor
   * above the default ceiling); a fixed window becomes a fixed window of that size.
   *
   * @param probes the ceiling, at least 1; 0 restores the default (the budget)
   * @return a new window
   * @throws IllegalArgumentException when {@code probes} is negative, or 0 for a fixed window
   */
  public Window max(int probes) {
    if (probes < 0 || (probes == 0 && !adaptive)) {
      throw new IllegalArgumentException("a window's ceiling must be at least 1"
          + (adaptive ? " (0: the budget)" : "") + ": " + probes);
    }
    return adaptive ? new Window(true, size, probes, rate, observer)
        : new Window(false, probes, probes, rate, observer);
  }

  /**
   * This window with starts limited to {@code perSecond}, in bursts of at most a twentieth of it
   * (at least one). Applies to retries too.
   *
   * @param perSecond probes started per second at most; 0 for no limit (the default)
   * @return a new window
   * @throws IllegalArgumentException when {@code perSecond} is negative or not a number
   */
  public Window rate(double perSecond) {
    if (!(perSecond >= 0) || Double.isInfinite(perSecond)) {
      throw new IllegalArgumentException("rate must be 0 (no limit) or more per second: "
          + perSecond);
    }
    return new Window(adaptive, size, max, perSecond, observer);
  }

  /**
   * This window with {@code observer} told every new size, from the engine's threads, while a
   * scan runs (for a progress display); it must be quick and must not block. Replaces any
   * observer given before.
   *
   * @param observer receives the window's size each time it changes
   * @return a new window
   */
  public Window onChange(IntConsumer observer) {
    return new Window(adaptive, size, max, rate, Objects.requireNonNull(observer, "observer"));
  }

  /**
   * True for an adaptive window.
   *
   * @return whether the window adapts
   */
  public boolean isAdaptive() {
    return adaptive;
  }

  /**
   * The fixed size, or where an adaptive window starts.
   *
   * @return probes
   */
  public int initial() {
    return size;
  }

  /**
   * The ceiling asked for: the fixed size, or for an adaptive window 0 (the default ceiling) or
   * the value of {@link #max(int)}.
   *
   * @return probes, or 0 for the default ceiling
   */
  public int max() {
    return max;
  }

  /**
   * The most starts per second; 0 for no limit.
   *
   * @return starts per second
   */
  public double rate() {
    return rate;
  }

  /**
   * The observer of {@link #onChange}; one that does nothing when none was given.
   *
   * @return the observer
   */
  public IntConsumer observer() {
    return observer;
  }

  /**
   * The default ceiling of an adaptive window in this process now: the descriptor budget and the
   * free ephemeral ports, the smaller. Reads {@code /proc}; 256 where it cannot.
   *
   * @return probes
   */
  public static int ceiling() {
    return dev.tcpdial.internal.window.Budget.ceiling();
  }

  @Override
  public String toString() {
    String s = adaptive ? "adaptive from " + size + (max > 0 ? " to " + max : "")
        : "fixed " + size;
    return rate > 0 ? s + ", at most " + rate + " starts/s" : s;
  }
}
