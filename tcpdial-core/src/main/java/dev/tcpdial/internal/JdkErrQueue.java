package dev.tcpdial.internal;

import dev.tcpdial.Errno;
import dev.tcpdial.IcmpReport;
import dev.tcpdial.internal.nat.ErrQueue;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;

/**
 * Who answered a JDK-engine attempt that failed. The JDK closes a channel whose connect fails
 * before it throws, and with it the only descriptor of the socket: the error queue would be gone.
 * So before the connect the socket gets {@code IP_RECVERR} ({@code IPV6_RECVERR}) and a second
 * descriptor of its own ({@code fcntl(F_DUPFD_CLOEXEC)}), which keeps the socket, and its queue,
 * until {@link #failed} has read it; every other end only closes that descriptor ({@link
 * #close}). Three system calls per attempt, and a fourth on a channel handed to the caller
 * ({@link #handOver}: the option off again, so an established connection keeps the kernel's
 * usual soft handling of ICMP errors).
 *
 * <p>Where the descriptor is out of reach (no native access, or no {@code --add-exports
 * java.base/sun.nio.ch}), a failure an ICMP error could have caused is reported as {@link
 * IcmpReport#unread()}.
 */
final class JdkErrQueue {
  private static final int IPPROTO_IP = 0;
  private static final int IPPROTO_IPV6 = 41;
  private static final int IP_RECVERR = 11;
  private static final int IPV6_RECVERR = 25;
  private static final JdkErrQueue UNAVAILABLE = new JdkErrQueue(-1, true);

  private int fd; // the second descriptor; -1 once closed
  private final boolean unavailable;

  private JdkErrQueue(int fd, boolean unavailable) {
    this.fd = fd;
    this.unavailable = unavailable;
  }

  private static final java.util.concurrent.atomic.AtomicBoolean WARMING =
      new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * Links the C calls an attempt needs ({@code setsockopt}, {@code fcntl}, {@code close}; tens of
   * milliseconds, once per JVM) on a daemon thread, so the first attempt does not wait for it;
   * the calls that read a queue link on the first failure that needs them. Once per JVM.
   */
  static void warmUpInBackground() {
    if (Platform.linux() && Platform.nativeAccess() && WARMING.compareAndSet(false, true)) {
      Thread.ofPlatform().name("tcpdial-jdk-warmup").daemon().start(Libc::unavailable);
    }
  }

  /**
   * Sets the option on a fresh channel to {@code remote} and takes a second descriptor; where
   * either cannot be done, a tap that reports failures as unread.
   */
  static JdkErrQueue attach(SocketChannel ch, InetSocketAddress remote) {
    if (Libc.unavailable() != null) {
      return UNAVAILABLE;
    }
    boolean v6 = remote.getAddress() instanceof Inet6Address;
    try {
      Libc.setIntOption(ch, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_RECVERR : IP_RECVERR, 1,
          v6 ? "IPV6_RECVERR" : "IP_RECVERR");
      return new JdkErrQueue(Libc.dup(ch), false);
    } catch (IOException e) {
      return UNAVAILABLE;
    }
  }

  /**
   * The attempt failed with {@code errno} (null: no errno, e.g. our deadline): who answered, then
   * the descriptor is closed. Null when no ICMP error or local decision is behind the errno.
   */
  synchronized IcmpReport failed(Errno errno) {
    try {
      if (errno == null || !ErrQueue.worthReading(errno.number())) {
        return null;
      }
      if (unavailable || fd < 0) {
        return IcmpReport.unread();
      }
      return ErrQueue.readOnce(fd, errno.number());
    } finally {
      close();
    }
  }

  /** Closes the second descriptor (connected, cancelled, timed out). Idempotent. */
  synchronized void close() {
    if (fd >= 0) {
      Libc.close(fd);
      fd = -1;
    }
  }

  /**
   * A connected channel goes to the caller: the option goes off again (which also empties the
   * queue). Harmless where it was never set.
   */
  static void handOver(SocketChannel ch) {
    if (Libc.unavailable() != null) {
      return;
    }
    try {
      InetSocketAddress remote = (InetSocketAddress) ch.getRemoteAddress();
      boolean v6 = remote != null && remote.getAddress() instanceof Inet6Address;
      Libc.setIntOption(ch, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_RECVERR : IP_RECVERR, 0,
          v6 ? "IPV6_RECVERR" : "IP_RECVERR");
    } catch (IOException | RuntimeException e) {
      // closed meanwhile, or the option refused: nothing the caller could act on
    }
  }
}
