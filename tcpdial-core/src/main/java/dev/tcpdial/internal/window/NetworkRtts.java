package dev.tcpdial.internal.window;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * What the answers of each destination network took (an IPv4 /24, an IPv6 /64), to tell an answer
 * to a retransmitted SYN from a slow network, and a network that answers from one that never has;
 * and the round-trip time of every answer together (the answer time that {@link StartRing}
 * waits before it calls a probe silent).
 *
 * <p>Bounded: {@value #SLOTS} networks in a direct-mapped table (a network that collides with
 * another replaces it; it has only to be seen again), 17 bytes each. Not thread-safe: one loop's.
 */
public final class NetworkRtts {
  /** The kernel's first SYN retransmission ({@code TCP_TIMEOUT_INIT}, RFC 6298's 1 s). */
  public static final long SYN_RTO_NANOS = 1_000_000_000L;
  /** An answer at least this late came after the SYN was sent again. */
  static final long RETRANSMITTED_AFTER_NANOS = SYN_RTO_NANOS * 9 / 10;
  /** The least answer time: a silent probe is presumed so no sooner than this. */
  public static final long ANSWER_TIME_FLOOR_NANOS = 20_000_000L;
  /** The most answer time: a flight is credited at the latest this long after it left. */
  public static final long ANSWER_TIME_CAP_NANOS = 500_000_000L;
  static final int SLOTS = 4096;

  private final int[] keys = new int[SLOTS];
  private final int[] starts = new int[SLOTS]; // 0: the slot is empty
  private final int[] answers = new int[SLOTS];
  private final int[] minMicros = new int[SLOTS]; // 0: no answer yet
  private final boolean[] lossy = new boolean[SLOTS]; // an answer came to a retransmitted SYN
  private long srtt = -1;
  private long rttvar;

  /** The key of {@code a}'s network: the /24 of an IPv4 address, a hash of an IPv6 /64. */
  public static int key(InetAddress a) {
    if (a instanceof Inet4Address) {
      return a.hashCode() >>> 8; // Inet4Address's hash is its address
    }
    byte[] b = a.getAddress();
    int h = 0x6b43a9b5;
    for (int i = 0; i < 8; i++) {
      h = h * 31 + b[i];
    }
    return h | 0x8000_0000; // clear of every IPv4 key
  }

  private static int slot(int key) {
    int h = key * 0x9E3779B9;
    return (h ^ (h >>> 16)) & (SLOTS - 1);
  }

  /** The slot of {@code key}, taken over from another network if need be. */
  private int claim(int key) {
    int i = slot(key);
    if (starts[i] == 0 || keys[i] != key) {
      keys[i] = key;
      starts[i] = 0;
      answers[i] = 0;
      minMicros[i] = 0;
      lossy[i] = false;
    }
    return i;
  }

  private int find(int key) {
    int i = slot(key);
    return starts[i] != 0 && keys[i] == key ? i : -1;
  }

  /**
   * A probe to network {@code key} starts. True when it may be parked as silent once it has gone
   * unanswered for the answer time: its network has answered fewer than half of the probes
   * started to it (a network that answers nearly everything, as one host's closed ports do, is
   * more likely to have lost a probe than to have a silent one, so its unanswered probes keep
   * their place in the window until they end), and it has never answered a retransmitted SYN
   * late ({@link #late}: its silence is known to hold losses).
   */
  public boolean started(int key) {
    int i = claim(key);
    if (starts[i] < Integer.MAX_VALUE / 2) {
      starts[i]++;
    } else { // keep the ratio, not the count
      starts[i] /= 2;
      answers[i] /= 2;
    }
    return answers[i] * 2 < starts[i] && !lossy[i];
  }

  /**
   * An answer from network {@code key} that took {@code rttNanos}, and did not come after a
   * retransmission (those say nothing of the network's round trip, as Karn's rule has it).
   */
  public void answered(int key, long rttNanos) {
    int i = find(key);
    int micros = (int) Math.max(1, Math.min(Integer.MAX_VALUE, rttNanos / 1000));
    if (i >= 0) {
      minMicros[i] = minMicros[i] == 0 ? micros : Math.min(minMicros[i], micros);
      answers[i] = Math.min(starts[i], answers[i] + 1);
    }
    if (srtt < 0) {
      srtt = rttNanos;
      rttvar = rttNanos / 2;
    } else { // RFC 6298's estimator
      rttvar += (Math.abs(srtt - rttNanos) - rttvar) / 4;
      srtt += (rttNanos - srtt) / 8;
    }
  }

  /** True when any network has answered a probe of this scan. */
  public boolean anyAnswers() {
    return srtt >= 0;
  }

  /** True when network {@code key} has answered a probe of this scan (as far as the table knows). */
  public boolean answers(int key) {
    int i = find(key);
    return i >= 0 && minMicros[i] != 0;
  }

  /**
   * True when an answer from {@code key} after {@code elapsedNanos} came to a retransmitted SYN
   * and is later than that network's answers: its first SYN (or the answer) was lost. An answer
   * from a network whose round trip is itself near the retransmission time says nothing.
   */
  public boolean late(int key, long elapsedNanos) {
    if (elapsedNanos < RETRANSMITTED_AFTER_NANOS) {
      return false;
    }
    int i = find(key);
    long usual = i >= 0 && minMicros[i] != 0 ? minMicros[i] * 1000L : srtt;
    boolean late = usual >= 0 && usual < SYN_RTO_NANOS / 4 && elapsedNanos > 2 * usual;
    if (late && i >= 0) {
      lossy[i] = true;
    }
    return late;
  }

  /** True when {@code elapsedNanos} came after a retransmission of the SYN, whatever the network. */
  public static boolean afterRetransmission(long elapsedNanos) {
    return elapsedNanos >= RETRANSMITTED_AFTER_NANOS;
  }

  /**
   * How long a probe goes unanswered before it is presumed silent: twice the smoothed round trip
   * and four deviations, within {@link #ANSWER_TIME_FLOOR_NANOS} and {@link
   * #ANSWER_TIME_CAP_NANOS}; the floor before any answer.
   */
  public long answerTime() {
    if (srtt < 0) {
      return ANSWER_TIME_FLOOR_NANOS;
    }
    return Math.max(ANSWER_TIME_FLOOR_NANOS, Math.min(ANSWER_TIME_CAP_NANOS, 2 * srtt + 4 * rttvar));
  }
}
