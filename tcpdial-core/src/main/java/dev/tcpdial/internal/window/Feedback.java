package dev.tcpdial.internal.window;

import dev.tcpdial.Outcome;
import dev.tcpdial.Window;

/**
 * What the end of each probe tells the window, and whether the probe is reported or started
 * again: the part of a scan that is the same on every engine. One per loop (or under the scan's
 * lock); the {@link WindowControl} is reached through {@link Sink}, under the scan's lock.
 *
 * <ul>
 *   <li>A local failure ({@code local_resources}, {@code no_local_address}, {@code EAGAIN}) is
 *       {@link Window.Signal#LOCAL_RESOURCES}; the probe is tried again after a pause, at most
 *       {@link Window#LOCAL_RETRIES} times.
 *   <li>An answer (connected, refused, unreachable, prohibited) within the answer time is one that
 *       ended as expected; one that came to a retransmitted SYN from a network whose answers are
 *       quick is {@link Window.Signal#LATE_ANSWERS}; one in between is neither (a slow answer is
 *       no loss, nor a reason to grow).
 *   <li>Our own timeout is silence and is reported, unless a signal named the time the probe was
 *       sent ({@link WindowControl#suspect}) and the scan has had answers (a range that never
 *       answers has nothing to lose): then its SYN may have been the one lost, and it is tried again at once (adaptive
 *       windows only, at most {@value #SUSPECT_TRIES} tries in all, and a third only once a
 *       second has been answered).
 * </ul>
 */
public final class Feedback {
  /** Tries in all for a probe whose timeout a signal made suspect. */
  public static final int SUSPECT_TRIES = 4;
  /** The pause before a probe that failed for a local reason is tried again, per try so far. */
  public static final long LOCAL_PAUSE_NANOS = 50_000_000L;
  /** The ticks of the start ring: how finely silence is credited. */
  public static final long TICK_NANOS = 5_000_000L;
  private static final int EAGAIN = 11;

  /** Where signals go: the scan's {@link WindowControl}, under its lock. */
  @FunctionalInterface
  public interface Sink {
    /** Raises {@code signal} for a probe started at {@code sentNanos}. */
    void signal(Window.Signal signal, long sentNanos, long nowNanos);
  }

  /** What to do with a probe that ended. */
  public enum Next {
    /** Report it. */
    REPORT,
    /** Start it again now (a suspect timeout). */
    RETRY,
    /** Start it again after {@link #pauseNanos} (a local failure). */
    RETRY_LATER
  }

  private final boolean adaptive;
  private final Sink sink;
  private final NetworkRtts rtts = new NetworkRtts();
  private final StartRing ring;
  private final java.util.function.LongPredicate suspect;
  private int acks;
  private int ended;
  private int answeredTry; // the most tries before an answer came

  /**
   * Feedback for a window that is {@code adaptive} or not, raising signals into {@code sink};
   * {@code suspect} says whether a probe started at a time may have lost a packet ({@link
   * WindowControl#suspect}).
   */
  public Feedback(boolean adaptive, Sink sink, java.util.function.LongPredicate suspect,
      long originNanos) {
    this.adaptive = adaptive;
    this.sink = sink;
    this.suspect = suspect;
    this.ring = new StartRing(TICK_NANOS, originNanos);
  }

  /** The key of a probe's destination network ({@link NetworkRtts#key}). */
  public static int network(java.net.InetAddress a) {
    return NetworkRtts.key(a);
  }

  /**
   * A probe to network {@code network} started at {@code nowNanos}. True when it may be parked
   * as silent ({@link NetworkRtts#started}); the engine hands that back to {@link #ended}.
   */
  public boolean started(long nowNanos, int network) {
    boolean parkable = rtts.started(network);
    if (parkable) {
      ring.started(nowNanos);
    }
    return parkable;
  }

  /** The pause before try {@code tries} (1, 2, ...) of a probe that failed for a local reason. */
  public static long pauseNanos(int tries) {
    return LOCAL_PAUSE_NANOS * tries;
  }

  /**
   * A probe to network {@code network} ended with {@code outcome} and {@code errno} (0: none)
   * after {@code elapsedNanos}, at {@code nowNanos}, having been tried {@code tries} times before;
   * {@code parkable} is what {@link #started} said of it.
   */
  public Next ended(Outcome outcome, int errno, long elapsedNanos, int tries, int network,
      boolean parkable, long nowNanos) {
    long sent = nowNanos - elapsedNanos;
    if (parkable) {
      ring.ended(sent);
    }
    ended++;
    if (outcome == Outcome.LOCAL_RESOURCES || outcome == Outcome.NO_LOCAL_ADDRESS
        || errno == EAGAIN) {
      sink.signal(Window.Signal.LOCAL_RESOURCES, sent, nowNanos);
      return tries < Window.LOCAL_RETRIES ? Next.RETRY_LATER : Next.REPORT;
    }
    if (outcome == Outcome.TIMEOUT && errno == 0) {
      // the network's own answers would be the better evidence, but a burst can lose every SYN
      // to one network: any answer of the scan says that its targets are not all silent
      // A try beyond the second only once a second try has been answered (nmap's
      // max_successful_tryno): where tries are never answered the loss is not passing, and
      // more of them only add to it.
      return adaptive && tries + 1 < SUSPECT_TRIES && tries <= answeredTry
          && suspect.test(sent) && (rtts.answers(network) || rtts.anyAnswers())
          ? Next.RETRY : Next.REPORT;
    }
    if (answered(outcome)) {
      answeredTry = Math.max(answeredTry, tries);
      if (NetworkRtts.afterRetransmission(elapsedNanos)) {
        if (adaptive && rtts.late(network, elapsedNanos)) {
          sink.signal(Window.Signal.LATE_ANSWERS, sent, nowNanos);
        }
      } else {
        boolean inTime = elapsedNanos <= rtts.answerTime();
        rtts.answered(network, elapsedNanos);
        if (inTime) {
          acks++;
        }
      }
    }
    return Next.REPORT;
  }

  private static boolean answered(Outcome o) {
    return o == Outcome.CONNECTED || o == Outcome.REFUSED || o == Outcome.HOST_UNREACHABLE
        || o == Outcome.NETWORK_UNREACHABLE || o == Outcome.PROHIBITED;
  }

  /**
   * Probes that ended as expected since the last call: answers in time, and probes silent for the
   * answer time at {@code nowNanos}.
   */
  public int takeAcks(long nowNanos) {
    int n = acks + ring.credit(nowNanos, rtts.answerTime());
    acks = 0;
    return n;
  }

  /** Probes that ended since the last call, whatever their outcome. */
  public int takeEnded() {
    int n = ended;
    ended = 0;
    return n;
  }

  /** Probes credited as silent and still in flight ({@link StartRing#parked()}). */
  public int parked() {
    return ring.parked();
  }

  /** Events not yet handed over: when there are many, the loop hands them over sooner. */
  public int backlog() {
    return acks + ended;
  }
}
