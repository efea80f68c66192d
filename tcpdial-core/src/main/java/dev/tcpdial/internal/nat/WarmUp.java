package dev.tcpdial.internal.nat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The native engine's warm-up: every system call of the probe path called once, off the first
 * probe's path, so that it does not pay for linking and for each downcall's first invocation.
 */
final class WarmUp {
  private WarmUp() {}

  private static final AtomicBoolean WARMED = new AtomicBoolean();

  /** See {@link NativeLoop#warmUpInBackground()}. */
  static void inBackground() {
    if (Precheck.WHY != null || !WARMED.compareAndSet(false, true)) {
      return;
    }
    Thread.ofPlatform().name("tcpdial-native-warmup").daemon().start(WarmUp::once);
  }

  /** See {@link NativeLoop#warmUpNow()}. */
  static void now() {
    if (Precheck.WHY != null) {
      return;
    }
    WARMED.set(true);
    once();
  }

  private static synchronized void once() {
    if (!done) {
      run();
      done = true;
    }
  }

  private static boolean done; // guarded by WarmUp.class

  private static void run() {
    if (Sys.UNAVAILABLE != null) { // links the C calls, off the caller's path
      return;
    }
    try (Arena a = Arena.ofConfined()) {
      MemorySegment st = a.allocate(Sys.STATE_SIZE);
      MemorySegment sa = a.allocate(Abi.SOCKADDR_IN6);
      MemorySegment v = a.allocate(Abi.LINGER);
      MemorySegment len = a.allocate(ValueLayout.JAVA_INT);
      MemorySegment ev = a.allocate(Abi.EPOLL_EVENT);
      MemorySegment buf = a.allocate(ValueLayout.JAVA_LONG);
      int ep = Sys.epollCreate1(st, Abi.EPOLL_CLOEXEC);
      int efd = Sys.eventfd(st, 0, Abi.EFD_NONBLOCK | Abi.EFD_CLOEXEC);
      int s = Sys.socket(st, Abi.AF_INET, Abi.SOCK_STREAM | Abi.SOCK_NONBLOCK | Abi.SOCK_CLOEXEC,
          0);
      Sys.errno(st);
      NativeLoop.writeSockaddr(sa, InetAddress.getByAddress(new byte[16]), 1);
      NativeLoop.writeSockaddr(sa, InetAddress.getByAddress(new byte[4]), 1);
      Sys.connect(st, -1, sa, 16); // EBADF: no socket, nothing sent
      Sys.bind(st, -1, sa, 16);
      v.set(ValueLayout.JAVA_INT, 0, 1);
      Sys.setsockopt(st, s, Abi.SOL_SOCKET, Abi.SO_LINGER, v, 8);
      len.set(ValueLayout.JAVA_INT, 0, 4);
      Sys.getsockopt(st, s, Abi.SOL_SOCKET, Abi.SO_ERROR, v, len);
      len.set(ValueLayout.JAVA_INT, 0, (int) Abi.SOCKADDR_IN6.byteSize());
      Sys.getsockname(st, s, sa, len);
      len.set(ValueLayout.JAVA_INT, 0, (int) Abi.SOCKADDR_IN6.byteSize());
      Sys.getpeername(st, s, sa, len);
      NativeLoop.readSockaddr(sa);
      ErrQueue q = new ErrQueue(a);
      q.enable(s, Abi.AF_INET);
      q.read(s, 113); // EAGAIN: an empty queue; parses nothing
      ErrQueue.parse(a.allocate(64, 8), 0);
      MemorySegment pfd = a.allocate(8, 4);
      pfd.set(ValueLayout.JAVA_INT, 0, s);
      Sys.poll(st, pfd, 1, 0);
      ev.set(ValueLayout.JAVA_INT, Abi.EV_EVENTS, Abi.EPOLLOUT | Abi.EPOLLET);
      ev.set(ValueLayout.JAVA_LONG_UNALIGNED, Abi.EV_DATA, 0L);
      Sys.epollCtl(st, ep, Abi.EPOLL_CTL_ADD, s, ev);
      Sys.epollWait(st, ep, ev, 1, 0);
      buf.set(ValueLayout.JAVA_LONG, 0, 1L);
      Sys.write(efd, buf, 8);
      Sys.read(efd, buf, 8);
      Sys.close(s);
      Sys.close(efd);
      Sys.close(ep);
    } catch (java.net.UnknownHostException | RuntimeException e) {
      // only a warm-up
    }
  }
}
