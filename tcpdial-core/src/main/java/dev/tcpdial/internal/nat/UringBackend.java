package dev.tcpdial.internal.nat;

import dev.tcpdial.Outcome;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The io_uring backend: a blocking socket (the ring makes the connect asynchronous itself; a
 * non-blocking one would hand {@code EINPROGRESS} back) and an {@code IORING_OP_CONNECT} SQE,
 * linked where the kernel can (6.7) to a {@code SOCKET_URING_OP_GETSOCKOPT(SO_ERROR)} into memory
 * of the slot's own, since some kernels complete with 0 a connect that an ICMP error ended. A
 * stopped connect is an {@code IORING_OP_ASYNC_CANCEL}, a close an {@code IORING_OP_CLOSE} (with a
 * reset: linked after a {@code SOCKET_URING_OP_SETSOCKOPT(SO_LINGER 0)}), and the eventfd is read
 * by an {@code IORING_OP_READ} always queued. One {@code io_uring_enter} per loop turn submits what
 * the turn queued and waits, to the nanosecond, for a CQE or the next deadline. The raw rings are
 * {@link Ring}'s.
 */
final class UringBackend implements IoBackend {
  private static final System.Logger LOG = System.getLogger(NativeLoop.class.getName());
  private static final int ENTRIES = 1024;
  private static final long IGNORED = -2L; // user data of cancels and setsockopts
  private static final long CLOSE_TAG = Long.MIN_VALUE; // a close: the descriptor in the low bits
  private static final long CHECK = 1L << 62; // a connect's SO_ERROR read: the handle and this bit
  private static final int ECANCELED = 125;
  private static final long DRAIN_NANOS = 2_000_000_000L; // shutdown: longest wait for closes
  private static final int CHUNK_BITS = 10;
  private static final int CHUNK = 1 << CHUNK_BITS;

  private final NativeLoop loop;
  private final Arena arena;
  private final Ring ring;
  private final int efd;
  private final MemorySegment readBuf;
  /**
   * One int per slot for the kernel to write the slot's {@code SO_ERROR} into, in chunks that
   * never move (the kernel writes them long after the SQE was submitted).
   */
  private final List<MemorySegment> soErrors = new ArrayList<>();
  private boolean checkByRing; // SO_ERROR read by the ring, and reset-and-close both by it
  private boolean closeNow; // close by system call: the ring is going away
  private int ringCloses; // closes handed to the ring whose CQE is not in yet
  /**
   * Sockets whose close waits for the one CQE of their stopped connect (its {@code SO_ERROR} read's
   * when the connect succeeded; the connect's own when it failed, which cuts the read from the link
   * without a CQE), by the connect's handle; the value is the descriptor, complemented for a reset. The read is the
   * second SQE of a link, and a linked request looks its descriptor up only when it is issued: a
   * socket closed before that would lend its number to the next socket any thread opens, and the
   * read would take (and clear) that socket's pending error. Seen as a refusal named
   * {@code ECONNABORTED} in an epoll scan running beside an io_uring loop that cancelled probes.
   */
  private final java.util.HashMap<Long, Integer> closeAfterCheck = new java.util.HashMap<>();
  /**
   * Slots whose connect {@link #stopConnect} took back while its {@code SO_ERROR} read may still
   * be queued, with that connect's handle, until {@link #close} moves the socket to {@link
   * #closeAfterCheck}. By slot, since the completion that runs in between may stop other probes.
   * Every stop is followed by that slot's close before the slot is used again: a connect the
   * kernel holds always has its socket.
   */
  private final java.util.HashMap<Integer, Long> stoppedChecks = new java.util.HashMap<>();
  private long answering = -1; // the handle whose connect's CQE is being handed to the loop

  /** A ring (created disabled where the kernel has that) and a blocking eventfd. */
  UringBackend(NativeLoop loop, Arena arena) {
    this.loop = loop;
    this.arena = arena;
    try {
      ring = Ring.open(ENTRIES, arena);
    } catch (Ring.Refused r) {
      throw new NativeLoop.StartFailed(r.getMessage(), r.errno, true);
    }
    MemorySegment st = arena.allocate(Sys.STATE_SIZE);
    int ev = Sys.eventfd(st, 0, Abi.EFD_CLOEXEC);
    if (ev < 0) {
      int e = Sys.errno(st);
      ring.close();
      throw new NativeLoop.StartFailed("eventfd", e);
    }
    efd = ev;
    readBuf = arena.allocate(ValueLayout.JAVA_LONG);
    checkByRing = ring.uringCmd && ring.skipsSuccess();
  }

  @Override
  public NativeLoop.Backend kind() {
    return NativeLoop.Backend.URING;
  }

  @Override
  public int wakeFd() {
    return efd;
  }

  /** With {@code SINGLE_ISSUER} the submitting thread must be the one that enables the ring. */
  @Override
  public Stopped begin() {
    int e = ring.enable();
    if (e != 0) {
      return new Stopped(e, "io_uring: enabling the ring failed: " + dev.tcpdial.Errno.of(e));
    }
    ring.read(efd, readBuf.address(), 8, WAKE);
    return null;
  }

  /** Its CQE's {@code res} is 0 or minus the errno; the SO_ERROR read's is in {@link #soErrors}. */
  @Override
  public long connect(int slot, int family, int len, MemorySegment to) {
    int s = loop.newSocket(slot, family, 0);
    if (s < 0) {
      return -1;
    }
    long handle = loop.handle(slot);
    boolean queued = checkByRing
        ? ring.connectChecked(s, to, len, handle, soError(slot), handle | CHECK)
        : ring.connect(s, to, len, handle);
    if (!queued) {
      loop.end(slot, Outcome.ERROR, 0, NativeLoop.CLOSE); // the kernel took no SQE at all
      return -1;
    }
    return handle;
  }

  private long soError(int slot) {
    while (soErrors.size() <= slot >>> CHUNK_BITS) {
      soErrors.add(arena.allocate(4L * CHUNK, 8));
    }
    MemorySegment chunk = soErrors.get(slot >>> CHUNK_BITS);
    chunk.set(ValueLayout.JAVA_INT, 4L * (slot & (CHUNK - 1)), -1);
    return chunk.address() + 4L * (slot & (CHUNK - 1));
  }

  @Override
  public void stopConnect(int slot) {
    long h = loop.handle(slot);
    if (!closeNow) {
      ring.cancel(h, IGNORED);
    }
    // its SO_ERROR read may still be queued behind it (checkByRing only ever turns false, so
    // while it is true this connect was submitted with the read)
    // (not for the connect being answered: its read has run, or its failure cut the link)
    if (checkByRing && h != answering) {
      stoppedChecks.put(slot, h);
    }
  }

  @Override
  public void close(int slot, int s, boolean reset) {
    Long stopped = stoppedChecks.isEmpty() ? null : stoppedChecks.remove(slot);
    if (stopped != null) {
      closeAfterCheck.put(stopped, reset ? ~s : s); // closed when the read's CQE is in
      return;
    }
    closeOrQueue(s, reset);
  }

  private void closeOrQueue(int s, boolean reset) {
    if (!closeNow && checkByRing && reset
        && ring.lingerAndClose(s, loop.lingerZeroAddress(), IGNORED, closeData(s))) {
      ringCloses++; // both by the ring (Linux 6.7)
      return;
    }
    if (reset) {
      loop.lingerZero(s);
    }
    if (!closeNow && ring.close(s, closeData(s))) {
      ringCloses++;
      return;
    }
    Sys.close(s);
  }

  @Override
  public boolean keep(int s, int disposal) {
    // a socket per probe: a refused ring connect's socket does take the next connect on Linux
    // 6.18 (bench/c/scan.c), but saves scans only ~9 % of their kernel work, which stay on epoll
    return false;
  }

  private static long closeData(int s) {
    return CLOSE_TAG | (s & 0xffff_ffffL);
  }

  private static boolean isClose(long data) {
    return (data >>> 32) == (CLOSE_TAG >>> 32);
  }

  /**
   * The CQE of a close the ring was given. A close that never ran ({@code -ECANCELED}: its link was
   * cut, or the ring is going away) leaves the descriptor open and ours: closed here.
   */
  private void ringClosed(long data, int res) {
    ringCloses--;
    if (res == -ECANCELED) {
      Sys.close((int) data);
    }
  }

  /**
   * One {@code io_uring_enter}: submits what the turn queued (connects, closes, cancels) and waits
   * for a CQE, a wake-up (a read of the eventfd, always queued) or {@code timeoutNanos}.
   */
  @Override
  public Stopped await(long timeoutNanos) {
    int r = ring.submit(timeoutNanos != 0 ? 1 : 0, Math.max(timeoutNanos, 0));
    if (r < 0 && r != -Ring.ETIME && r != -Abi.EINTR) {
      return new Stopped(-r, "io_uring_enter: " + dev.tcpdial.Errno.of(-r));
    }
    MemorySegment cq = ring.cqRing();
    int n = ring.ready();
    for (int i = 0; i < n; i++) {
      long o = ring.cqeOffset(i);
      long data = cq.get(ValueLayout.JAVA_LONG, o);
      int res = cq.get(ValueLayout.JAVA_INT, o + 8);
      if (data == WAKE) {
        loop.woken();
        ring.read(efd, readBuf.address(), 8, WAKE);
        continue;
      }
      if (isClose(data)) {
        ringClosed(data, res);
        continue;
      }
      if (!closeAfterCheck.isEmpty()) {
        // a stopped connect's one CQE: its read's (it ran) or its own (it failed, and the read,
        // cut from the link, will never run): the number is ours to give back
        Integer s = closeAfterCheck.remove(data & ~CHECK);
        if (s != null) {
          closeBySystemCall(s);
          continue;
        }
      }
      if (!loop.awaited(data & ~CHECK)) {
        continue; // a cancel, a setsockopt, or the connect of a probe that ended before
      }
      int slot = (int) data;
      int err;
      if ((data & CHECK) != 0 && res >= 0) {
        err = soErrors.get(slot >>> CHUNK_BITS).get(ValueLayout.JAVA_INT,
            4L * (slot & (CHUNK - 1)));
      } else if ((data & CHECK) != 0 || res >= 0) {
        // the kernel cannot read SO_ERROR for us (before 6.7): a system call, now and later
        checkByRing = checkByRing && res >= 0;
        err = loop.soError(loop.socket(slot));
      } else {
        err = -res;
      }
      answering = data & ~CHECK;
      try {
        loop.answered(slot, err);
      } finally {
        answering = -1;
      }
    }
    ring.consumed(n);
    return null;
  }

  @Override
  public void stopping() {
    closeNow = true; // the ring goes away in close(): no SQE would be submitted any more
  }

  /**
   * Submits what is queued and waits until every close given to the ring has posted its CQE, then
   * closes the ring (which cancels what the kernel still holds; its sockets go with it). A close
   * may still be pending as deferred task work (the second SQE of a link, with {@code
   * DEFER_TASKRUN} run only inside {@code io_uring_enter}, a bounded number at a time); once the
   * ring is closed the kernel fails such work instead of running it, and the descriptor would stay
   * open for good.
   */
  @Override
  public void close() {
    MemorySegment cq = ring.cqRing();
    long until = System.nanoTime() + DRAIN_NANOS;
    ring.flush();
    while (true) {
      int n = ring.ready();
      for (int i = 0; i < n; i++) {
        long o = ring.cqeOffset(i);
        long data = cq.get(ValueLayout.JAVA_LONG, o);
        if (isClose(data)) {
          ringClosed(data, cq.get(ValueLayout.JAVA_INT, o + 8));
        } else if (!closeAfterCheck.isEmpty()) {
          Integer s = closeAfterCheck.remove(data & ~CHECK);
          if (s != null) {
            closeBySystemCall(s);
          }
        }
      }
      ring.consumed(n);
      long left = until - System.nanoTime();
      if ((ringCloses <= 0 && ring.unsubmitted() == 0) || left <= 0) {
        break;
      }
      int r = ring.submit(1, Math.min(left, 10_000_000L));
      if (r < 0 && r != -Ring.ETIME && r != -Abi.EINTR) {
        break;
      }
    }
    if (ringCloses > 0) {
      LOG.log(System.Logger.Level.WARNING, "io_uring: " + ringCloses
          + " closes not confirmed before the ring was closed");
    }
    ring.close();
    // reads still queued went with the ring, never to be issued: their sockets can go now
    closeAfterCheck.values().forEach(this::closeBySystemCall);
    closeAfterCheck.clear();
  }

  /**
   * A socket whose close waited for its connect's last CQE ({@link #closeAfterCheck}): closed at
   * once by system call, not queued to the ring for a later turn, so that its descriptor is free
   * before the loop runs its next task (a probe submitted just after the last one ended must not
   * find the table still full).
   */
  private void closeBySystemCall(int entry) {
    int s = entry < 0 ? ~entry : entry;
    if (entry < 0) {
      loop.lingerZero(s);
    }
    Sys.close(s);
  }
}
