package dev.tcpdial.internal.window;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.Window;
import java.net.InetAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The window's parts: the start ring, the networks' round trips, the histogram, the counters. */
class WindowPartsTest {
  static final long MS = 1_000_000L;

  @Test
  void theRingCreditsEachUnansweredProbeOnceAfterTheAnswerTime() {
    StartRing r = new StartRing(5 * MS, 0);
    for (int i = 0; i < 10; i++) {
      r.started(MS); // tick 0
    }
    r.started(7 * MS); // tick 1
    r.ended(MS); // one of tick 0 answered before its credit
    assertThat(r.credit(10 * MS, 20 * MS)).isZero(); // nothing is 20 ms old yet
    assertThat(r.credit(26 * MS, 20 * MS)).isEqualTo(9); // tick 0 (0-5 ms) is wholly older
    assertThat(r.credit(27 * MS, 20 * MS)).isZero();
    r.ended(MS); // ended after its credit: not counted again
    assertThat(r.credit(31 * MS, 20 * MS)).isEqualTo(1); // tick 1
    assertThat(r.credit(500 * MS, 20 * MS)).isZero();
  }

  @Test
  void theRingCarriesTicksItMustReuseBeforeTheirCredit() {
    StartRing r = new StartRing(MS, 0);
    r.started(0);
    r.started(3 * MS);
    // 300 ticks later with a long answer time: both would be overwritten; they are carried
    r.started(300 * MS);
    assertThat(r.credit(300 * MS, 1_000 * MS)).isEqualTo(2);
    assertThat(r.credit(2_000 * MS, 1_000 * MS)).isEqualTo(1);
  }

  @Test
  void theRingAgainstAModelOverRandomRuns() {
    Random rnd = new Random(7);
    StartRing r = new StartRing(5 * MS, 0);
    ArrayDeque<long[]> pending = new ArrayDeque<>(); // {start, credited?}
    long credits = 0;
    long started = 0;
    long answeredBeforeCredit = 0;
    long now = 0;
    for (int step = 0; step < 100_000; step++) {
      now += rnd.nextInt(3) * MS / 2;
      if (rnd.nextInt(3) == 0) {
        r.started(now);
        pending.add(new long[] {now});
        started++;
      }
      if (!pending.isEmpty() && rnd.nextInt(4) == 0) {
        long[] p = pending.poll();
        if (now - p[0] < 15 * MS) { // answered quickly: before any credit
          r.ended(p[0]);
          answeredBeforeCredit++;
        }
      }
      credits += r.credit(now, 20 * MS);
    }
    credits += r.credit(now + 10_000 * MS, 20 * MS);
    assertThat(credits).isEqualTo(started - answeredBeforeCredit);
  }

  @Test
  void anAnswerToARetransmittedSynIsLateOnlyFromAQuickNetwork() throws Exception {
    NetworkRtts n = new NetworkRtts();
    int lan = NetworkRtts.key(InetAddress.getByName("198.18.1.7"));
    int far = NetworkRtts.key(InetAddress.getByName("198.18.2.7"));
    int unseen = NetworkRtts.key(InetAddress.getByName("198.18.3.7"));
    assertThat(NetworkRtts.key(InetAddress.getByName("198.18.1.200"))).isEqualTo(lan);
    assertThat(n.late(lan, 1_001 * MS)).as("nothing known yet").isFalse();
    assertThat(n.started(lan)).as("nothing answered yet: may park").isTrue();
    n.answered(lan, 300_000);
    assertThat(n.started(lan)).as("one of one answered: keeps its place").isFalse();
    assertThat(n.started(lan)).as("one of three").isTrue();
    n.started(far);
    n.answered(far, 600 * MS);
    assertThat(n.answers(lan)).isTrue();
    assertThat(n.answers(unseen)).isFalse();
    assertThat(n.late(lan, 500 * MS)).as("before any retransmission").isFalse();
    assertThat(n.late(lan, 1_001 * MS)).isTrue();
    assertThat(n.started(lan)).as("a network that lost a SYN: its silence may be loss").isFalse();
    assertThat(n.late(far, 1_300 * MS)).as("a long path").isFalse();
    // an unseen network is judged by every answer's round trip: here mostly quick ones
    assertThat(n.late(unseen, 1_001 * MS)).isTrue();
    NetworkRtts slow = new NetworkRtts();
    for (int i = 0; i < 20; i++) {
      slow.started(far);
      slow.answered(far, 600 * MS);
    }
    assertThat(slow.late(unseen, 1_001 * MS)).as("every answer slow").isFalse();
    int v6 = NetworkRtts.key(InetAddress.getByName("fd00:1:2:3::1"));
    assertThat(NetworkRtts.key(InetAddress.getByName("fd00:1:2:3:ffff::9"))).isEqualTo(v6);
    assertThat(NetworkRtts.key(InetAddress.getByName("fd00:1:2:4::1"))).isNotEqualTo(v6);
  }

  @Test
  void theAnswerTimeFollowsTheRoundTripsWithinItsBounds() {
    NetworkRtts n = new NetworkRtts();
    assertThat(n.answerTime()).isEqualTo(NetworkRtts.ANSWER_TIME_FLOOR_NANOS);
    for (int i = 0; i < 50; i++) {
      n.started(1);
      n.answered(1, 100 * MS);
    }
    assertThat(n.answerTime()).isBetween(200 * MS, 260 * MS);
    for (int i = 0; i < 50; i++) {
      n.started(1);
      n.answered(1, 900 * MS);
    }
    assertThat(n.answerTime()).isEqualTo(NetworkRtts.ANSWER_TIME_CAP_NANOS);
  }

  @Test
  void theHistogramIsExactAtItsEndsAndCloseInTheMiddle() {
    WindowHistogram h = new WindowHistogram();
    assertThat(h.median()).isZero();
    h.record(16);
    for (int i = 0; i < 1_000; i++) {
      h.record(19_962);
    }
    h.record(40);
    assertThat(h.min()).isEqualTo(16);
    assertThat(h.max()).isEqualTo(19_962);
    assertThat(h.median()).isBetween(19_962 * 98 / 100, 19_962);
    WindowHistogram other = new WindowHistogram();
    for (int i = 0; i < 5_000; i++) {
      other.record(300);
    }
    h.add(other);
    assertThat(h.median()).isBetween(296, 300);
    assertThat(h.count()).isEqualTo(6_002);
    for (int v : new int[] {1, 127, 128, 129, 255, 256, 1 << 20, Integer.MAX_VALUE}) {
      int b = WindowHistogram.bucket(v);
      assertThat(WindowHistogram.lowest(b)).isLessThanOrEqualTo(v);
      assertThat(v - WindowHistogram.lowest(b)).isLessThanOrEqualTo(Math.max(0, v / 64));
    }
  }

  @Test
  void theCountersAreReadFromTheKernelsFormats() {
    String softnet = "0028a2fe 00000003 00000000 00000000\n001a4a50 00000010 00000000 0\n";
    assertThat(KernelCounters.softnetDrops(softnet)).isEqualTo(19);
    String netstat = "TcpExt: SyncookiesSent ListenOverflows ListenDrops TCPSynRetrans\n"
        + "TcpExt: 0 5 7 1234\nIpExt: InNoRoutes\nIpExt: 0\n";
    assertThat(KernelCounters.netstatValue(netstat, "TcpExt:", "ListenDrops")).isEqualTo(7);
    assertThat(KernelCounters.netstatValue(netstat, "TcpExt:", "Nope")).isEqualTo(-1);
    String dev = "Inter-|   Receive                                                |  Transmit\n"
        + " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
        + "    lo:  1000      10    0    0    0     0          0         0     1000      10    0    2    0     0       0          0\n"
        + "  eth0:  2000      20    0    9    0     0          0         0     2000      20    0    3    0     0       0          0\n";
    assertThat(KernelCounters.transmitDrops(dev)).isEqualTo(5);
    assertThat(Budget.tcpSockets("sockets: used 10\nTCP: inuse 5 orphan 0 tw 3 alloc 9 mem 1\n"))
        .isEqualTo(8);
  }

  @Test
  void theWatchNamesTheCountersThatGrewAndIgnoresWhatCannotBeRead() {
    List<KernelCounters.Sample> script = new java.util.ArrayList<>(List.of(
        new KernelCounters.Sample(10, -1, 0),
        new KernelCounters.Sample(10, 4, 0),
        new KernelCounters.Sample(12, 9, 0),
        new KernelCounters.Sample(12, 9, 1)));
    CounterWatch w = new CounterWatch(() -> script.remove(0));
    assertThat(w.poll()).isEmpty(); // listen drops were unreadable before: no baseline
    assertThat(w.poll()).containsExactlyInAnyOrder(Window.Signal.INPUT_QUEUE_DROPS,
        Window.Signal.LISTEN_QUEUE_DROPS);
    assertThat(w.poll()).containsExactly(Window.Signal.TRANSMIT_DROPS);
  }

  @Test
  void theCountersOfThisMachineAreReadable() {
    KernelCounters.Sample s = KernelCounters.proc().read();
    if (java.nio.file.Files.isReadable(java.nio.file.Path.of("/proc/net/softnet_stat"))) {
      assertThat(s.inputDrops()).isGreaterThanOrEqualTo(0);
      assertThat(s.listenDrops()).isGreaterThanOrEqualTo(0);
      assertThat(s.transmitDrops()).isGreaterThanOrEqualTo(0);
      assertThat(Budget.ceiling()).isPositive();
      assertThat(Budget.burst()).isGreaterThanOrEqualTo(16);
    }
  }

  @Test
  void thePaceStartsAtItsRateInBurstsOfATwentieth() {
    Pace p = new Pace(100, 0); // burst 5
    assertThat(p.take(10, 0)).isEqualTo(1);
    assertThat(p.take(10, 0)).isZero();
    assertThat(p.nanosToNext(0)).isEqualTo(10 * MS);
    assertThat(p.take(10, 10 * MS)).isEqualTo(1);
    assertThat(p.take(10, 1_000 * MS)).isEqualTo(5); // at most a burst after a long pause
    long started = 0;
    for (long t = 1_000 * MS; t < 2_000 * MS; t += MS) {
      started += p.take(1_000, t);
    }
    assertThat(started).isBetween(98L, 101L);
  }
}
