package dev.tcpdial.internal.nat;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.util.Locale;

/**
 * The Linux ABI the native engine speaks: constants of the generic (x86_64, aarch64) headers and the
 * layouts of {@code struct sockaddr_in}, {@code struct sockaddr_in6}, {@code struct epoll_event}
 * and {@code struct linger} for the running architecture. {@code epoll_event} is declared
 * {@code __attribute__((packed))} on x86_64 only: 12 bytes there, 16 (with 4 bytes of padding
 * before {@code data}) on aarch64.
 */
public final class Abi {
  private Abi() {}

  /** The running architecture as this engine knows it: "x86_64", "aarch64", or null. */
  public static final String ARCH = arch(System.getProperty("os.arch", ""));

  static String arch(String osArch) {
    return switch (osArch.toLowerCase(Locale.ROOT)) {
      case "amd64", "x86_64" -> "x86_64";
      case "aarch64", "arm64" -> "aarch64";
      default -> null;
    };
  }

  // <bits/socket.h>, <asm-generic/socket.h>, <netinet/in.h>, <netinet/tcp.h>: the same on both
  static final int AF_INET = 2;
  static final int AF_INET6 = 10;
  static final int SOCK_STREAM = 1;
  static final int SOCK_NONBLOCK = 0x800; // O_NONBLOCK, 04000
  static final int SOCK_CLOEXEC = 0x80000; // O_CLOEXEC, 02000000
  static final int SOL_SOCKET = 1;
  static final int SO_ERROR = 4;
  static final int SO_LINGER = 13;
  static final int IPPROTO_IP = 0;
  static final int IPPROTO_TCP = 6;
  static final int TCP_SYNCNT = 7;
  static final int TCP_USER_TIMEOUT = 18;
  static final int IP_BIND_ADDRESS_NO_PORT = 24;
  static final int SO_REUSEADDR = 2;
  static final int IPPROTO_IPV6 = 41;
  static final int IP_TTL = 2;
  static final int IP_RECVERR = 11;
  static final int IPV6_UNICAST_HOPS = 16;
  static final int IPV6_RECVERR = 25;
  static final int MSG_DONTWAIT = 0x40;
  static final int MSG_ERRQUEUE = 0x2000;
  static final short POLLOUT = 0x4;

  // <linux/errqueue.h>: struct sock_extended_err, 16 bytes, then the offender's sockaddr
  static final int SO_EE_ORIGIN_LOCAL = 1;
  static final int SO_EE_ORIGIN_ICMP = 2;
  static final int SO_EE_ORIGIN_ICMP6 = 3;
  static final long EE_ORIGIN = 4;
  static final long EE_TYPE = 5;
  static final long EE_CODE = 6;
  static final long EE_SIZE = 16;

  /**
   * {@code struct msghdr} (LP64): name and its length, the iovec array and its length, the
   * control buffer and its length, flags.
   */
  static final StructLayout MSGHDR = MemoryLayout.structLayout(
      ValueLayout.ADDRESS.withName("msg_name"),
      ValueLayout.JAVA_INT.withName("msg_namelen"),
      MemoryLayout.paddingLayout(4),
      ValueLayout.ADDRESS.withName("msg_iov"),
      ValueLayout.JAVA_LONG.withName("msg_iovlen"),
      ValueLayout.ADDRESS.withName("msg_control"),
      ValueLayout.JAVA_LONG.withName("msg_controllen"),
      ValueLayout.JAVA_INT.withName("msg_flags"),
      MemoryLayout.paddingLayout(4))
      .withName("msghdr");

  /** {@code struct cmsghdr} (LP64): a size_t length, then level and type; data from byte 16. */
  static final long CMSG_LEVEL = 8;
  static final long CMSG_TYPE = 12;
  static final long CMSG_DATA = 16;

  // <sys/epoll.h>, <sys/eventfd.h>
  static final int EPOLL_CLOEXEC = 0x80000;
  static final int EPOLL_CTL_ADD = 1;
  static final int EPOLL_CTL_DEL = 2;
  static final int EPOLLIN = 0x1;
  static final int EPOLLOUT = 0x4;
  static final int EPOLLERR = 0x8;
  static final int EPOLLHUP = 0x10;
  static final int EPOLLET = 1 << 31;
  static final int EFD_NONBLOCK = 0x800;
  static final int EFD_CLOEXEC = 0x80000;

  // errno values the loop itself looks at
  static final int EPERM = 1;
  static final int EINTR = 4;
  static final int EAGAIN = 11;
  static final int EINPROGRESS = 115;
  static final int EALREADY = 114;
  static final int EINVAL = 22;
  static final int EISCONN = 106;

  /** Big-endian (network order) views for ports and IPv4 addresses in a sockaddr. */
  static final ValueLayout.OfShort NET_SHORT =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
  static final ValueLayout.OfInt NET_INT =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

  /** {@code struct sockaddr_in}: 16 bytes; port and address in network byte order. */
  public static final StructLayout SOCKADDR_IN = MemoryLayout.structLayout(
      ValueLayout.JAVA_SHORT.withName("sin_family"),
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN).withName("sin_port"),
      MemoryLayout.sequenceLayout(4, ValueLayout.JAVA_BYTE).withName("sin_addr"),
      MemoryLayout.sequenceLayout(8, ValueLayout.JAVA_BYTE).withName("sin_zero"))
      .withName("sockaddr_in");

  /** {@code struct sockaddr_in6}: 28 bytes. */
  public static final StructLayout SOCKADDR_IN6 = MemoryLayout.structLayout(
      ValueLayout.JAVA_SHORT.withName("sin6_family"),
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN).withName("sin6_port"),
      ValueLayout.JAVA_INT.withName("sin6_flowinfo"),
      MemoryLayout.sequenceLayout(16, ValueLayout.JAVA_BYTE).withName("sin6_addr"),
      ValueLayout.JAVA_INT.withName("sin6_scope_id"))
      .withName("sockaddr_in6");

  /** {@code struct epoll_event} of the running architecture (x86_64 when unknown). */
  public static final StructLayout EPOLL_EVENT = epollEvent(ARCH == null ? "x86_64" : ARCH);

  /** {@code struct epoll_event} for {@code arch}: packed on x86_64, padded elsewhere. */
  static StructLayout epollEvent(String arch) {
    if ("x86_64".equals(arch)) {
      return MemoryLayout.structLayout(
          ValueLayout.JAVA_INT_UNALIGNED.withName("events"),
          ValueLayout.JAVA_LONG_UNALIGNED.withName("data"))
          .withName("epoll_event");
    }
    return MemoryLayout.structLayout(
        ValueLayout.JAVA_INT.withName("events"),
        MemoryLayout.paddingLayout(4),
        ValueLayout.JAVA_LONG.withName("data"))
        .withName("epoll_event");
  }

  /** {@code struct linger}: two ints. */
  public static final StructLayout LINGER = MemoryLayout.structLayout(
      ValueLayout.JAVA_INT.withName("l_onoff"), ValueLayout.JAVA_INT.withName("l_linger"))
      .withName("linger");

  static final long SIN_PORT = SOCKADDR_IN.byteOffset(PathElement.groupElement("sin_port"));
  static final long SIN_ADDR = SOCKADDR_IN.byteOffset(PathElement.groupElement("sin_addr"));
  static final long SIN6_PORT = SOCKADDR_IN6.byteOffset(PathElement.groupElement("sin6_port"));
  static final long SIN6_FLOWINFO = SOCKADDR_IN6.byteOffset(PathElement.groupElement("sin6_flowinfo"));
  static final long SIN6_ADDR = SOCKADDR_IN6.byteOffset(PathElement.groupElement("sin6_addr"));
  static final long SIN6_SCOPE = SOCKADDR_IN6.byteOffset(PathElement.groupElement("sin6_scope_id"));
  static final long EV_EVENTS = EPOLL_EVENT.byteOffset(PathElement.groupElement("events"));
  static final long EV_DATA = EPOLL_EVENT.byteOffset(PathElement.groupElement("data"));
  static final long EV_SIZE = EPOLL_EVENT.byteSize();
  static final long MSG_CONTROL = MSGHDR.byteOffset(PathElement.groupElement("msg_control"));
  static final long MSG_CONTROLLEN = MSGHDR.byteOffset(PathElement.groupElement("msg_controllen"));
}
