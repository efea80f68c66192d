package dev.tcpdial.internal.nat;

import dev.tcpdial.IcmpReport;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Reads who answered a failed connect from its socket's error queue: sockets get {@code
 * IP_RECVERR} ({@code IPV6_RECVERR}) before they connect ({@link #enable}); when the connect fails
 * with an errno an ICMP error can cause, {@link #read} takes the queue's {@code struct
 * sock_extended_err} ({@code recvmsg(MSG_ERRQUEUE)}): its origin, ICMP type and code and the
 * offender's address, which follows it.
 *
 * <p>Order matters: reading the last ICMP entry of the queue also clears the socket's pending
 * error ({@code sock_dequeue_err_skb}), so the errno must have been taken first ({@code SO_ERROR},
 * the failed {@code connect}, the CQE); every caller has it when it reads.
 *
 * <p>While a socket is in {@code SYN_SENT}, every ICMP error the kernel accepts for it ends the
 * connect ({@code tcp_v4_err}, {@code tcp_v6_err}; fragmentation-needed and redirects are handled
 * without queueing), so the queue holds the error that ended it. A failure whose queue is empty was
 * decided on this host when its errno is one a route gives ({@code EHOSTUNREACH}, {@code
 * ENETUNREACH}, {@code EACCES}, {@code EPERM}, {@code EINVAL}), and was a reset from the target
 * for {@code ECONNREFUSED}. An ICMP error sent by this very host (neighbour resolution failing, a
 * local {@code reject}) carries an address of its own as the offender: the socket's source.
 *
 * <p>An instance is not thread-safe: one per loop, its memory in the loop's arena. {@link
 * #readOnce} serves the JDK engine, which reads a descriptor of its own ({@code dup}) of a
 * channel the JDK closed on the failure.
 */
public final class ErrQueue {
  private static final int DRAIN = 4; // entries read at most: the queue holds one, rarely two

  private final MemorySegment st;
  private final MemorySegment msg;
  private final MemorySegment control;
  private final MemorySegment self;
  private final MemorySegment len;
  private final MemorySegment one;

  ErrQueue(Arena arena) {
    st = arena.allocate(Sys.STATE_SIZE);
    msg = arena.allocate(Abi.MSGHDR);
    control = arena.allocate(256, 8);
    self = arena.allocate(Abi.SOCKADDR_IN6);
    len = arena.allocate(ValueLayout.JAVA_INT);
    one = arena.allocate(ValueLayout.JAVA_INT);
    one.set(ValueLayout.JAVA_INT, 0, 1);
  }

  /** Sets {@code IP_RECVERR} or {@code IPV6_RECVERR} on {@code s}; 0 or the errno. */
  int enable(int s, int family) {
    boolean v6 = family == Abi.AF_INET6;
    int r = Sys.setsockopt(st, s, v6 ? Abi.IPPROTO_IPV6 : Abi.IPPROTO_IP,
        v6 ? Abi.IPV6_RECVERR : Abi.IP_RECVERR, one, 4);
    return r == 0 ? 0 : Sys.errno(st);
  }

  /**
   * Null when {@link #readOnce} can read here (the native engine's C calls link), else why not.
   */
  public static String unavailable() {
    return Sys.UNAVAILABLE;
  }

  /**
   * {@link #read} on memory of its own, for a caller without a loop: any thread, one arena per
   * call (only failures call it).
   */
  public static IcmpReport readOnce(int s, int errno) {
    if (Sys.UNAVAILABLE != null || !worthReading(errno)) {
      return worthReading(errno) ? IcmpReport.unread() : null;
    }
    try (Arena a = Arena.ofConfined()) {
      return new ErrQueue(a).read(s, errno);
    }
  }

  /** True for the errnos an ICMP error or a local decision can give a connect. */
  public static boolean worthReading(int errno) {
    return switch (errno) {
      // ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENONET, EACCES, EPROTO, ENOPROTOOPT,
      // EOPNOTSUPP, EMSGSIZE, EPERM, EINVAL (blackhole route), ENETDOWN
      case 111, 113, 101, 112, 64, 13, 71, 92, 95, 90, 1, 22, 100 -> true;
      default -> false;
    };
  }

  /** True for the errnos a local route or firewall rule gives a connect, with no ICMP error. */
  static boolean localWithoutIcmp(int errno) {
    return switch (errno) {
      case 113, 101, 13, 1, 22, 100 -> true;
      default -> false;
    };
  }

  /**
   * The report for a connect that {@code connect(2)} itself refused, before any packet left: a
   * local route or rule ({@link IcmpReport#local()}), or null for an errno no route gives. No
   * system call.
   */
  static IcmpReport refusedAtOnce(int errno) {
    return localWithoutIcmp(errno) ? IcmpReport.local() : null;
  }

  /**
   * Who answered the failed connect of {@code s} with {@code errno}: drains the error queue and
   * names its last entry; null when {@code errno} is none an ICMP error or a route gives, or when
   * the queue is empty and the errno is not a route's (a reset from the target).
   */
  IcmpReport read(int s, int errno) {
    return read(s, errno, null);
  }

  /**
   * {@link #read(int, int)} for a socket whose source address the caller knows ({@code self}, or
   * null to ask the kernel when it matters): a path trace knows its flow's, and spares the call.
   */
  IcmpReport read(int s, int errno, InetAddress self) {
    if (!worthReading(errno)) {
      return null;
    }
    IcmpReport found = null;
    for (int i = 0; i < DRAIN; i++) {
      msg.fill((byte) 0);
      msg.set(ValueLayout.ADDRESS, Abi.MSG_CONTROL, control);
      msg.set(ValueLayout.JAVA_LONG, Abi.MSG_CONTROLLEN, control.byteSize());
      if (Sys.recvmsg(st, s, msg, Abi.MSG_ERRQUEUE | Abi.MSG_DONTWAIT) < 0) {
        break; // EAGAIN: drained
      }
      IcmpReport r = parse(control, msg.get(ValueLayout.JAVA_LONG, Abi.MSG_CONTROLLEN));
      if (r != null) {
        found = r;
      }
    }
    if (found == null) {
      return localWithoutIcmp(errno) ? IcmpReport.local() : null;
    }
    if (found.origin() == IcmpReport.Origin.ICMP && found.from() != null
        && (self != null ? self.equals(found.from()) : isOwn(s, found.from()))) {
      return new IcmpReport(IcmpReport.Origin.LOCAL, found.v6(), found.type(), found.code(),
          found.from());
    }
    return found;
  }

  /** True when {@code a} is the socket's own source address. */
  private boolean isOwn(int s, InetAddress a) {
    len.set(ValueLayout.JAVA_INT, 0, (int) Abi.SOCKADDR_IN6.byteSize());
    if (Sys.getsockname(st, s, self, len) != 0) {
      return false;
    }
    InetSocketAddress me = NativeLoop.readSockaddr(self);
    return me != null && me.getAddress().equals(a);
  }

  /**
   * The report in a control buffer of {@code n} bytes: the first {@code IP_RECVERR} or {@code
   * IPV6_RECVERR} message, or null when there is none (or its origin is not ICMP or local).
   */
  static IcmpReport parse(MemorySegment control, long n) {
    long at = 0;
    while (at + Abi.CMSG_DATA <= n) {
      long cmsgLen = control.get(ValueLayout.JAVA_LONG, at);
      if (cmsgLen < Abi.CMSG_DATA || at + cmsgLen > n) {
        return null;
      }
      int level = control.get(ValueLayout.JAVA_INT, at + Abi.CMSG_LEVEL);
      int type = control.get(ValueLayout.JAVA_INT, at + Abi.CMSG_TYPE);
      if ((level == Abi.IPPROTO_IP && type == Abi.IP_RECVERR)
          || (level == Abi.IPPROTO_IPV6 && type == Abi.IPV6_RECVERR)) {
        return extended(control.asSlice(at + Abi.CMSG_DATA, cmsgLen - Abi.CMSG_DATA));
      }
      at += (cmsgLen + 7) & ~7L; // CMSG_ALIGN
    }
    return null;
  }

  /**
   * A {@code struct sock_extended_err} and the offender's sockaddr after it (8-byte aligned, as
   * in a control buffer).
   */
  static IcmpReport extended(MemorySegment ee) {
    if (ee.byteSize() < Abi.EE_SIZE) {
      return null;
    }
    int origin = Byte.toUnsignedInt(ee.get(ValueLayout.JAVA_BYTE, Abi.EE_ORIGIN));
    int type = Byte.toUnsignedInt(ee.get(ValueLayout.JAVA_BYTE, Abi.EE_TYPE));
    int code = Byte.toUnsignedInt(ee.get(ValueLayout.JAVA_BYTE, Abi.EE_CODE));
    InetAddress from = null;
    long room = ee.byteSize() - Abi.EE_SIZE;
    int family = room >= 2 ? ee.get(ValueLayout.JAVA_SHORT, Abi.EE_SIZE) : 0;
    if ((family == Abi.AF_INET && room >= Abi.SOCKADDR_IN.byteSize())
        || (family == Abi.AF_INET6 && room >= Abi.SOCKADDR_IN6.byteSize())) {
      InetSocketAddress a = NativeLoop.readSockaddr(ee.asSlice(Abi.EE_SIZE));
      from = a == null ? null : a.getAddress();
    }
    return switch (origin) {
      case Abi.SO_EE_ORIGIN_ICMP -> new IcmpReport(IcmpReport.Origin.ICMP, false, type, code, from);
      case Abi.SO_EE_ORIGIN_ICMP6 -> new IcmpReport(IcmpReport.Origin.ICMP, true, type, code, from);
      case Abi.SO_EE_ORIGIN_LOCAL -> new IcmpReport(IcmpReport.Origin.LOCAL, false, -1, -1, null);
      default -> null;
    };
  }
}
