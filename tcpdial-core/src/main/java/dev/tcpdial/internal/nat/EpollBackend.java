package dev.tcpdial.internal.nat;

import static dev.tcpdial.internal.nat.NativeLoop.CLOSE;
import static dev.tcpdial.internal.nat.NativeLoop.KEEP4;
import static dev.tcpdial.internal.nat.NativeLoop.KEEP6;
import static dev.tcpdial.internal.nat.NativeLoop.RESET;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The epoll backend: a non-blocking {@code connect}, then one edge-triggered {@code EPOLLOUT}
 * registration per probe; {@code epoll_wait} reports the answer and the eventfd's wake-ups.
 *
 * <p>After {@code EINPROGRESS} the socket is asked once more with a second {@code connect} to the
 * same address rather than {@code getsockopt(SO_ERROR)}: to a local address the answer is often
 * in before the first call returns (loopback handles the SYN and the RST inside it). The second
 * call answers {@code EALREADY} while the handshake runs (epoll decides then), 0 when it has
 * completed, and the pending error when it has failed: on Linux that call also returns the socket
 * to its unconnected state, with the kernel's own disconnect, so the socket can carry the next
 * probe of its family instead of being closed ({@link #keep}). A probe to a closed port then costs
 * two system calls instead of four (socket, connect, getsockopt, close) and no socket is allocated
 * and freed for it. Sockets of a loop with a source address are never kept.
 */
final class EpollBackend implements IoBackend {
  private static final int MAX_EVENTS = 1024;
  private static final int SPARE_MAX = 4;
  private static final int MAX_INLINE_DEPTH = 8;

  private final NativeLoop loop;
  private final MemorySegment st;
  private final MemorySegment events;
  private final MemorySegment ev1; // one epoll_event for epoll_ctl
  private final MemorySegment readBuf;
  private final int epfd;
  private final int efd;
  private final int[] spare4 = new int[SPARE_MAX];
  private final int[] spare6 = new int[SPARE_MAX];
  private int spare4Count;
  private int spare6Count;
  private boolean spareOff; // set once a kept socket answered unlike a fresh one

  /** An epoll instance with a non-blocking eventfd in it; arena memory is the loop's. */
  EpollBackend(NativeLoop loop, Arena arena) {
    this.loop = loop;
    st = arena.allocate(Sys.STATE_SIZE);
    events = arena.allocate(Abi.EV_SIZE * MAX_EVENTS, 8);
    ev1 = arena.allocate(Abi.EPOLL_EVENT);
    readBuf = arena.allocate(ValueLayout.JAVA_LONG);
    int ep = Sys.epollCreate1(st, Abi.EPOLL_CLOEXEC);
    if (ep < 0) {
      throw new NativeLoop.StartFailed("epoll_create1", Sys.errno(st));
    }
    int ev = Sys.eventfd(st, 0, Abi.EFD_NONBLOCK | Abi.EFD_CLOEXEC);
    if (ev < 0) {
      int e = Sys.errno(st);
      Sys.close(ep);
      throw new NativeLoop.StartFailed("eventfd", e);
    }
    ev1.set(ValueLayout.JAVA_INT, Abi.EV_EVENTS, Abi.EPOLLIN);
    ev1.set(ValueLayout.JAVA_LONG_UNALIGNED, Abi.EV_DATA, WAKE);
    if (Sys.epollCtl(st, ep, Abi.EPOLL_CTL_ADD, ev, ev1) < 0) {
      int e = Sys.errno(st);
      Sys.close(ev);
      Sys.close(ep);
      throw new NativeLoop.StartFailed("epoll_ctl(eventfd)", e);
    }
    epfd = ep;
    efd = ev;
  }

  @Override
  public NativeLoop.Backend kind() {
    return NativeLoop.Backend.EPOLL;
  }

  @Override
  public int wakeFd() {
    return efd;
  }

  @Override
  public Stopped begin() {
    return null;
  }

  @Override
  public long connect(int slot, int family, int len, MemorySegment to) {
    return connect(slot, family, len, to, 0);
  }

  /** {@code reusedSaid}: the errno a kept socket gave, when a fresh one is to try again. */
  private long connect(int slot, int family, int len, MemorySegment to, int reusedSaid) {
    int s = reusedSaid == 0 ? takeSpare(family) : -1;
    boolean reused = s >= 0;
    if (reused) {
      loop.socket(slot, s);
    } else {
      s = loop.newSocket(slot, family, Abi.SOCK_NONBLOCK);
      if (s < 0) {
        return -1;
      }
    }
    int e = Sys.connect(st, s, to, len) == 0 ? 0 : Sys.errno(st);
    if (reusedSaid != 0 && e != reusedSaid) {
      spareOff = true; // a kept socket answered unlike a fresh one: keep none any more
    }
    if (e == 0) {
      return loop.connected(slot);
    }
    if (e != Abi.EINPROGRESS) {
      if (reused && (e == Abi.EINVAL || e == Abi.EALREADY || e == Abi.EISCONN)) {
        // could be the state of the socket rather than the path (a blackhole route says EINVAL
        // too): a fresh socket decides
        Sys.close(s);
        loop.socket(slot, -1);
        return connect(slot, family, len, to, e);
      }
      loop.refusedAtOnce(slot, e);
      return -1;
    }
    if (loop.completing() >= MAX_INLINE_DEPTH) {
      // inside that many completions already, each of which started a probe that ended at once:
      // let epoll report this one, so the stack stays bounded whatever the completions do
      return register(slot, s);
    }
    if (Sys.connect(st, s, to, len) == 0) {
      return loop.connected(slot);
    }
    e = Sys.errno(st);
    if (e == Abi.EISCONN) {
      return loop.connected(slot);
    }
    if (e != Abi.EALREADY) {
      // the error queue is read (and so emptied) before the socket may be kept for another probe
      loop.failed(slot, e, spareOff ? CLOSE : family == Abi.AF_INET ? KEEP4 : KEEP6);
      return -1;
    }
    return register(slot, s);
  }

  /** Adds the slot's socket to epoll; its handle, or -1 when that failed and the probe ended. */
  private long register(int slot, int s) {
    long handle = loop.handle(slot);
    ev1.set(ValueLayout.JAVA_INT, Abi.EV_EVENTS, Abi.EPOLLOUT | Abi.EPOLLET);
    ev1.set(ValueLayout.JAVA_LONG_UNALIGNED, Abi.EV_DATA, handle);
    if (Sys.epollCtl(st, epfd, Abi.EPOLL_CTL_ADD, s, ev1) < 0) {
      int e = Sys.errno(st);
      loop.end(slot, NativeLoop.setupOutcome(e), e, RESET);
      return -1;
    }
    return handle;
  }

  @Override
  public void stopConnect(int slot) {
    // closing the socket takes it out of the epoll set
  }

  @Override
  public void close(int slot, int s, boolean reset) {
    if (reset) {
      loop.lingerZero(s);
    }
    Sys.close(s);
  }

  /** A socket whose last probe failed and that the kernel has disconnected, or -1. */
  private int takeSpare(int family) {
    if (family == Abi.AF_INET && spare4Count > 0) {
      return spare4[--spare4Count];
    }
    if (family == Abi.AF_INET6 && spare6Count > 0) {
      return spare6[--spare6Count];
    }
    return -1;
  }

  @Override
  public boolean keep(int s, int disposal) {
    if (loop.bound() || spareOff || loop.closing()) {
      return false;
    }
    if (disposal == KEEP4 && spare4Count < SPARE_MAX) {
      spare4[spare4Count++] = s;
      return true;
    }
    if (disposal == KEEP6 && spare6Count < SPARE_MAX) {
      spare6[spare6Count++] = s;
      return true;
    }
    return false;
  }

  private void closeSpares() {
    while (spare4Count > 0) {
      Sys.close(spare4[--spare4Count]);
    }
    while (spare6Count > 0) {
      Sys.close(spare6[--spare6Count]);
    }
  }

  /**
   * One {@code epoll_wait}, to the millisecond rounded up. Kept sockets serve the probes of a
   * turn: a loop that starts a turn idle closes them first, so an idle loop holds none.
   */
  @Override
  public Stopped await(long timeoutNanos) {
    if (loop.pending() == 0) {
      closeSpares();
    }
    int timeout = timeoutNanos <= 0 ? (int) timeoutNanos
        : (int) Math.min(Integer.MAX_VALUE, (timeoutNanos + 999_999) / 1_000_000);
    int n = Sys.epollWait(st, epfd, events, MAX_EVENTS, timeout);
    if (n < 0) {
      int e = Sys.errno(st);
      if (e != Abi.EINTR) {
        return new Stopped(e, "epoll_wait: " + dev.tcpdial.Errno.of(e));
      }
      return null;
    }
    for (int i = 0; i < n; i++) {
      long base = i * Abi.EV_SIZE;
      long data = events.get(ValueLayout.JAVA_LONG_UNALIGNED, base + Abi.EV_DATA);
      if (data == WAKE) {
        Sys.read(efd, readBuf, 8);
        loop.woken();
        continue;
      }
      if (!loop.awaited(data)) {
        continue; // a slot cancelled or ended earlier in this batch
      }
      int slot = (int) data;
      int ev = events.get(ValueLayout.JAVA_INT_UNALIGNED, base + Abi.EV_EVENTS);
      // writable with no error pending: connected (SO_ERROR would say 0), one call saved
      loop.answered(slot, (ev & (Abi.EPOLLERR | Abi.EPOLLHUP)) == 0 ? 0
          : loop.soError(loop.socket(slot)));
    }
    return null;
  }

  @Override
  public void stopping() {
    // nothing queued: every close is a system call already
  }

  @Override
  public void close() {
    closeSpares();
    Sys.close(epfd);
  }
}
