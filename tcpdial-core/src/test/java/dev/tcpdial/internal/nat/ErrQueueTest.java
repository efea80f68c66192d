package dev.tcpdial.internal.nat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.IcmpReport;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** The error queue's control messages, built byte by byte as Linux lays them out (LP64). */
class ErrQueueTest {

  /** One cmsghdr with a sock_extended_err and the offender's sockaddr; its length. */
  private static long cmsg(MemorySegment buf, long at, int level, int type, int origin, int icmpType,
      int icmpCode, InetAddress offender) {
    boolean v6 = offender.getAddress().length == 16;
    long saLen = v6 ? 28 : 16;
    long len = 16 + 16 + saLen;
    buf.set(ValueLayout.JAVA_LONG, at, len);
    buf.set(ValueLayout.JAVA_INT, at + 8, level);
    buf.set(ValueLayout.JAVA_INT, at + 12, type);
    long ee = at + 16;
    buf.set(ValueLayout.JAVA_INT, ee, 113); // ee_errno
    buf.set(ValueLayout.JAVA_BYTE, ee + 4, (byte) origin);
    buf.set(ValueLayout.JAVA_BYTE, ee + 5, (byte) icmpType);
    buf.set(ValueLayout.JAVA_BYTE, ee + 6, (byte) icmpCode);
    NativeLoop.writeSockaddr(buf.asSlice(ee + 16, 28), offender, 0);
    return len;
  }

  @Test
  void readsAnIpv4TimeExceededFromARouter() throws Exception {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocate(256, 8);
      long n = cmsg(buf, 0, 0, 11, 2, 11, 0, InetAddress.getByName("198.18.21.2"));
      IcmpReport r = ErrQueue.parse(buf, n);
      assertThat(r).isEqualTo(new IcmpReport(IcmpReport.Origin.ICMP, false, 11, 0,
          InetAddress.getByName("198.18.21.2")));
      assertThat(r.name()).isEqualTo("time-exceeded");
    }
  }

  @Test
  void readsAnIcmpv6AdminProhibited() throws Exception {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocate(256, 8);
      long n = cmsg(buf, 0, 41, 25, 3, 1, 1, InetAddress.getByName("fd00:22::3"));
      IcmpReport r = ErrQueue.parse(buf, n);
      assertThat(r.v6()).isTrue();
      assertThat(r.name()).isEqualTo("admin-prohibited");
      assertThat(r.fromText()).isEqualTo("fd00:22::3");
    }
  }

  @Test
  void skipsOtherControlMessagesAndStopsAtTheEnd() throws Exception {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocate(256, 8);
      // an IP_TTL message (level 0, type 2, one int: 20 bytes, aligned to 24) first
      buf.set(ValueLayout.JAVA_LONG, 0, 20);
      buf.set(ValueLayout.JAVA_INT, 8, 0);
      buf.set(ValueLayout.JAVA_INT, 12, 2);
      long n = 24 + cmsg(buf, 24, 0, 11, 2, 3, 13, InetAddress.getByName("198.18.22.3"));
      assertThat(ErrQueue.parse(buf, n).name()).isEqualTo("admin-prohibited");
      assertThat(ErrQueue.parse(buf, 24)).isNull(); // only the other message
      assertThat(ErrQueue.parse(buf, 0)).isNull();
      // a length that runs past the buffer is not trusted
      buf.set(ValueLayout.JAVA_LONG, 0, 4096);
      assertThat(ErrQueue.parse(buf, n)).isNull();
    }
  }

  @Test
  void aLocalOriginHasNoTypeAndAnUnknownOriginIsNoReport() throws Exception {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocate(256, 8);
      long n = cmsg(buf, 0, 0, 11, 1, 0, 0, InetAddress.getByName("0.0.0.0"));
      assertThat(ErrQueue.parse(buf, n)).isEqualTo(IcmpReport.local());
      n = cmsg(buf, 0, 0, 11, 4, 0, 0, InetAddress.getByName("0.0.0.0")); // SO_EE_ORIGIN_TXSTATUS
      assertThat(ErrQueue.parse(buf, n)).isNull();
    }
  }

  @Test
  void whichErrnosAreRead() {
    for (int e : new int[] {111, 113, 101, 112, 64, 13, 71, 92, 95, 90}) {
      assertThat(ErrQueue.worthReading(e)).as("errno %d", e).isTrue();
    }
    for (int e : new int[] {110, 99, 98, 24, 104, 0}) { // timeouts, local ports, descriptors
      assertThat(ErrQueue.worthReading(e)).as("errno %d", e).isFalse();
    }
    // a route refuses at once: local, no system call; a reset from the target is no report
    assertThat(ErrQueue.refusedAtOnce(113)).isEqualTo(IcmpReport.local());
    assertThat(ErrQueue.refusedAtOnce(22)).isEqualTo(IcmpReport.local());
    assertThat(ErrQueue.refusedAtOnce(111)).isNull();
  }
}
