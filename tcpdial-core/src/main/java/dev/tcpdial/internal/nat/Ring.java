package dev.tcpdial.internal.nat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * One io_uring instance, set up and entered by system call through the foreign-function API (no
 * liburing): the submission queue (SQ) ring, the completion queue (CQ) ring and the SQE array
 * mapped into this process and read and written as {@link MemorySegment}s. The names follow
 * {@code <linux/io_uring.h>} and liburing ({@code sq.khead}, {@code cq.ktail}, ...).
 *
 * <p>Memory ordering, as liburing does it: the kernel reads the SQ tail and writes the SQ head and
 * the CQ tail; this side publishes its SQ tail and CQ head with a release store, and reads the CQ
 * tail and SQ head with an acquire load, so an SQE is complete before the kernel sees it and a CQE
 * is read only after the kernel wrote it.
 *
 * <p>One thread uses a ring (the loop's). With {@code IORING_SETUP_SINGLE_ISSUER} that thread must
 * be the one that enables it: the ring is created disabled ({@code IORING_SETUP_R_DISABLED}) and
 * the loop thread calls {@link #enable()} first.
 */
final class Ring implements AutoCloseable {
  // <linux/io_uring.h>
  static final int IORING_SETUP_CQSIZE = 1 << 3;
  static final int IORING_SETUP_CLAMP = 1 << 4;
  static final int IORING_SETUP_R_DISABLED = 1 << 6;
  static final int IORING_SETUP_SUBMIT_ALL = 1 << 7;
  static final int IORING_SETUP_COOP_TASKRUN = 1 << 8;
  static final int IORING_SETUP_SINGLE_ISSUER = 1 << 12;
  static final int IORING_SETUP_DEFER_TASKRUN = 1 << 13;
  static final int IORING_FEAT_SINGLE_MMAP = 1;
  static final int IORING_FEAT_NODROP = 1 << 1;
  static final int IORING_FEAT_EXT_ARG = 1 << 8;
  static final int IORING_FEAT_CQE_SKIP = 1 << 11;
  static final int IORING_ENTER_GETEVENTS = 1;
  static final int IORING_ENTER_EXT_ARG = 1 << 3;
  static final int IORING_REGISTER_PROBE = 8;
  static final int IORING_REGISTER_ENABLE_RINGS = 12;
  static final long IORING_OFF_SQ_RING = 0L;
  static final long IORING_OFF_CQ_RING = 0x8000000L;
  static final long IORING_OFF_SQES = 0x10000000L;

  static final byte IORING_OP_ASYNC_CANCEL = 14;
  static final byte IORING_OP_LINK_TIMEOUT = 15;
  static final byte IORING_OP_CONNECT = 16;
  static final byte IORING_OP_CLOSE = 19;
  static final byte IORING_OP_READ = 22;
  static final byte IORING_OP_URING_CMD = 46;
  static final int SOCKET_URING_OP_GETSOCKOPT = 2;
  static final int SOCKET_URING_OP_SETSOCKOPT = 3;
  static final byte IOSQE_IO_HARDLINK = 1 << 3;
  static final byte IOSQE_IO_LINK = 1 << 2;
  static final byte IOSQE_CQE_SKIP_SUCCESS = 1 << 6;

  /** The opcodes the engine uses, by name, for {@link #missingOps}. */
  private static final byte[] OPS = {IORING_OP_CONNECT, IORING_OP_CLOSE, IORING_OP_ASYNC_CANCEL,
      IORING_OP_READ};

  /** True when the kernel knows {@code IORING_OP_URING_CMD} (for sockets' getsockopt: 6.7). */
  final boolean uringCmd;
  private static final String[] OP_NAMES = {"IORING_OP_CONNECT", "IORING_OP_CLOSE",
      "IORING_OP_ASYNC_CANCEL", "IORING_OP_READ"};

  static final int SQE_SIZE = 64;
  private static final int ADDR_SIZE = 32;
  static final int CQE_SIZE = 16;
  private static final int PARAMS_SIZE = 120;
  private static final int ENOSYS = 38;
  private static final int EBUSY = 16;
  static final int ETIME = 62;

  private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

  final int fd;
  final int features;
  final int setupFlags;
  private final int sqEntries;
  private final int sqMask;
  private final int cqMask;
  private final MemorySegment sqRing;
  private final MemorySegment cqRing; // the same mapping as sqRing with IORING_FEAT_SINGLE_MMAP
  private final MemorySegment sqes;
  private final long sqRingSize;
  private final long cqRingSize;
  private final long sqHead;
  private final long sqTail;
  private final long cqHead;
  private final long cqTail;
  private final long cqes;
  private final MemorySegment st;
  private final MemorySegment getEventsArg; // struct io_uring_getevents_arg
  private final MemorySegment timespec; // struct __kernel_timespec
  private final MemorySegment addrs; // one sockaddr per SQE: the kernel reads it at submission
  private int tail; // local SQ tail, published by submit
  private int submittedTail;
  private int head; // local CQ head

  private Ring(int fd, MemorySegment p, MemorySegment sqRing, MemorySegment cqRing,
      MemorySegment sqes, long sqRingSize, long cqRingSize, int setupFlags, Arena arena,
      boolean uringCmd) {
    this.fd = fd;
    this.uringCmd = uringCmd;
    this.setupFlags = setupFlags;
    features = p.get(ValueLayout.JAVA_INT, 20);
    sqEntries = p.get(ValueLayout.JAVA_INT, 0);
    this.sqRing = sqRing;
    this.cqRing = cqRing;
    this.sqes = sqes;
    this.sqRingSize = sqRingSize;
    this.cqRingSize = cqRingSize;
    sqHead = p.get(ValueLayout.JAVA_INT, 40);
    sqTail = p.get(ValueLayout.JAVA_INT, 44);
    sqMask = sqRing.get(ValueLayout.JAVA_INT, p.get(ValueLayout.JAVA_INT, 48));
    long sqArray = p.get(ValueLayout.JAVA_INT, 64);
    cqHead = p.get(ValueLayout.JAVA_INT, 80);
    cqTail = p.get(ValueLayout.JAVA_INT, 84);
    cqMask = cqRing.get(ValueLayout.JAVA_INT, p.get(ValueLayout.JAVA_INT, 88));
    cqes = p.get(ValueLayout.JAVA_INT, 100);
    for (int i = 0; i < sqEntries; i++) { // SQ index i always names SQE i
      sqRing.set(ValueLayout.JAVA_INT, sqArray + 4L * i, i);
    }
    tail = (int) INT.getAcquire(sqRing, sqTail);
    submittedTail = tail;
    head = (int) INT.getAcquire(cqRing, cqHead);
    st = arena.allocate(Sys.STATE_SIZE);
    addrs = arena.allocate((long) ADDR_SIZE * sqEntries, 8);
    getEventsArg = arena.allocate(24, 8);
    timespec = arena.allocate(16, 8);
    getEventsArg.set(ValueLayout.JAVA_INT, 8, 8); // sigmask_sz: _NSIG / 8, with a null sigmask
    getEventsArg.set(ValueLayout.JAVA_LONG, 16, timespec.address());
  }

  /**
   * A ring of {@code entries} SQEs (and four times as many CQEs), with the flags this kernel takes:
   * {@code SINGLE_ISSUER | DEFER_TASKRUN} (6.1), else {@code COOP_TASKRUN} (5.19), else none.
   *
   * @throws Refused with the errno and why, when the kernel gives no ring this engine can use
   */
  static Ring open(int entries, Arena arena) throws Refused {
    if (Sys.UNAVAILABLE != null) {
      throw new Refused(0, Sys.UNAVAILABLE);
    }
    int base = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL;
    int[] tries = {
        base | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED,
        base | IORING_SETUP_COOP_TASKRUN,
        IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP};
    MemorySegment st = arena.allocate(Sys.STATE_SIZE);
    MemorySegment p = arena.allocate(PARAMS_SIZE, 8);
    int fd = -1;
    int flags = 0;
    int errno = 0;
    for (int f : tries) {
      p.fill((byte) 0);
      p.set(ValueLayout.JAVA_INT, 4, entries * 4); // cq_entries
      p.set(ValueLayout.JAVA_INT, 8, f);
      fd = (int) Sys.syscall(st, Sys.NR_IO_URING_SETUP, entries, p.address(), 0, 0, 0);
      if (fd >= 0) {
        flags = f;
        break;
      }
      errno = Sys.errno(st);
      if (errno != Abi.EINVAL) {
        break; // EPERM (kernel.io_uring_disabled, seccomp), ENOSYS, EMFILE, ENOMEM: no ring at all
      }
    }
    if (fd < 0) {
      throw new Refused(errno, switch (errno) {
        case ENOSYS -> "io_uring_setup: ENOSYS (the kernel has no io_uring, or a seccomp filter"
            + " hides it)";
        case Abi.EPERM -> "io_uring_setup: EPERM (kernel.io_uring_disabled, or a seccomp filter"
            + " such as a container's default profile)";
        default -> "io_uring_setup: " + dev.tcpdial.Errno.of(errno);
      });
    }
    int features = p.get(ValueLayout.JAVA_INT, 20);
    if ((features & IORING_FEAT_EXT_ARG) == 0 || (features & IORING_FEAT_NODROP) == 0) {
      Sys.close(fd);
      throw new Refused(0, "io_uring lacks IORING_FEAT_EXT_ARG or IORING_FEAT_NODROP (Linux"
          + " 5.11 or later needed)");
    }
    String missing = missingOps(fd, arena, OPS, OP_NAMES);
    if (missing != null) {
      Sys.close(fd);
      throw new Refused(0, "io_uring lacks " + missing);
    }
    int sqN = p.get(ValueLayout.JAVA_INT, 0);
    int cqN = p.get(ValueLayout.JAVA_INT, 4);
    long sqSize = p.get(ValueLayout.JAVA_INT, 64) + 4L * sqN;
    long cqSize = p.get(ValueLayout.JAVA_INT, 100) + (long) CQE_SIZE * cqN;
    boolean single = (features & IORING_FEAT_SINGLE_MMAP) != 0;
    if (single) {
      sqSize = Math.max(sqSize, cqSize);
      cqSize = sqSize;
    }
    MemorySegment sq = map(st, fd, sqSize, IORING_OFF_SQ_RING);
    MemorySegment cq = sq;
    MemorySegment sqes = null;
    if (sq != null && !single) {
      cq = map(st, fd, cqSize, IORING_OFF_CQ_RING);
    }
    if (sq != null && cq != null) {
      sqes = map(st, fd, (long) SQE_SIZE * sqN, IORING_OFF_SQES);
    }
    if (sqes == null) {
      int e = Sys.errno(st);
      if (sq != null) {
        Sys.munmap(sq, sqSize);
      }
      if (cq != null && cq != sq) {
        Sys.munmap(cq, cqSize);
      }
      Sys.close(fd);
      throw new Refused(e, "mmap of the io_uring rings: " + dev.tcpdial.Errno.of(e));
    }
    boolean cmd = missingOps(fd, arena, new byte[] {IORING_OP_URING_CMD}, new String[] {""})
        == null;
    return new Ring(fd, p, sq, cq, sqes, sqSize, single ? 0 : cqSize, flags, arena, cmd);
  }

  private static MemorySegment map(MemorySegment st, int fd, long size, long offset) {
    MemorySegment m = Sys.mmap(st, size, fd, offset);
    return m.address() == -1L ? null : m.reinterpret(size);
  }

  /**
   * Null when the kernel supports every opcode the engine uses ({@code IORING_REGISTER_PROBE}),
   * else the first missing one's name.
   */
  private static String missingOps(int fd, Arena arena, byte[] ops, String[] names)
      throws Refused {
    MemorySegment st = arena.allocate(Sys.STATE_SIZE);
    MemorySegment probe = arena.allocate(16 + 8 * 256, 8);
    if (Sys.syscall(st, Sys.NR_IO_URING_REGISTER, fd, IORING_REGISTER_PROBE, probe.address(), 256,
        0) < 0) {
      int e = Sys.errno(st);
      Sys.close(fd);
      throw new Refused(e, "IORING_REGISTER_PROBE: " + dev.tcpdial.Errno.of(e) + switch (e) {
        case Abi.EINVAL -> " (Linux 5.6 or later needed)";
        case Abi.EPERM -> " (a seccomp filter or a security module allows rings but not this call)";
        default -> "";
      });
    }
    int last = Byte.toUnsignedInt(probe.get(ValueLayout.JAVA_BYTE, 0));
    for (int i = 0; i < ops.length; i++) {
      int op = ops[i];
      short flags = probe.get(ValueLayout.JAVA_SHORT, 16 + 8L * op + 2);
      if (op > last || (flags & 1) == 0) { // IO_URING_OP_SUPPORTED
        return names[i];
      }
    }
    return null;
  }

  /** The kernel refused a ring, or gave one without what the engine needs. */
  static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;
    final int errno;

    Refused(int errno, String why) {
      super(why, null, false, false);
      this.errno = errno;
    }
  }

  /**
   * Asks the kernel whether a loop's ring would work here, without keeping one: a ring of 8
   * entries is set up, probed for the opcodes, enabled on this thread and entered once
   * (submitting and waiting for nothing), then closed. A kernel or policy can make rings and still
   * refuse to enter them (a seccomp filter on {@code io_uring_enter} alone, a security module).
   *
   * @throws Refused with the errno and why, as {@link #open} does, or for the enter
   */
  static void check(Arena arena) throws Refused {
    Ring ring = open(8, arena);
    try {
      int e = ring.enable();
      if (e == 0 && Sys.syscall(ring.st, Sys.NR_IO_URING_ENTER, ring.fd, 0, 0, 0, 0, 0) < 0) {
        e = Sys.errno(ring.st);
      }
      if (e != 0) {
        throw new Refused(e, "io_uring_enter: " + dev.tcpdial.Errno.of(e) + (e == Abi.EPERM
            ? " (a seccomp filter or a security module allows rings but not entering them)" : ""));
      }
    } finally {
      ring.close();
    }
  }

  /** On the thread that will submit: enables a ring set up disabled. 0 or the errno. */
  int enable() {
    if ((setupFlags & IORING_SETUP_R_DISABLED) == 0) {
      return 0;
    }
    return Sys.syscall(st, Sys.NR_IO_URING_REGISTER, fd, IORING_REGISTER_ENABLE_RINGS, 0, 0, 0) < 0
        ? Sys.errno(st) : 0;
  }

  /** True when the kernel posts no CQE for an SQE with {@code IOSQE_CQE_SKIP_SUCCESS} that succeeds. */
  boolean skipsSuccess() {
    return (features & IORING_FEAT_CQE_SKIP) != 0;
  }

  // ---- submission queue ----

  /**
   * The next free SQE, zeroed, at its offset in {@link #sqes()}; submits what is queued first when
   * the queue is full. -1 only when the kernel takes nothing ({@link #submit} failed).
   */
  long next() {
    if (tail - submittedTail == sqEntries) {
      if (submit(0, 0L) < 0 && tail - submittedTail == sqEntries) {
        return -1;
      }
    }
    long off = (long) (tail & sqMask) * SQE_SIZE;
    sqes.asSlice(off, SQE_SIZE).fill((byte) 0);
    tail++;
    return off;
  }

  MemorySegment sqes() {
    return sqes;
  }

  /**
   * {@code IORING_OP_CONNECT} of {@code sock} to the sockaddr in {@code to} ({@code len} bytes,
   * copied: the kernel reads it when the SQE is submitted, not before).
   */
  boolean connect(int sock, MemorySegment to, int len, long userData) {
    long o = next();
    if (o < 0) {
      return false;
    }
    long addr = (o / SQE_SIZE) * ADDR_SIZE;
    MemorySegment.copy(to, 0, addrs, addr, len);
    addr += addrs.address();
    sqes.set(ValueLayout.JAVA_BYTE, o, IORING_OP_CONNECT);
    sqes.set(ValueLayout.JAVA_INT, o + 4, sock);
    sqes.set(ValueLayout.JAVA_LONG, o + 8, len); // addr2: the address length
    sqes.set(ValueLayout.JAVA_LONG, o + 16, addr);
    sqes.set(ValueLayout.JAVA_LONG, o + 32, userData);
    return true;
  }

  /**
   * {@code IORING_OP_CONNECT} as {@link #connect}, but with no CQE of its own when it succeeds
   * ({@code IOSQE_CQE_SKIP_SUCCESS}) and hard-linked to an {@code IORING_OP_URING_CMD} {@code
   * SOCKET_URING_OP_GETSOCKOPT(SOL_SOCKET, SO_ERROR)} (Linux 6.7) into the int at {@code optval},
   * whose CQE, with {@code checkData}, says how the connect ended. Some kernels complete a connect
   * that an ICMP error ended with {@code res} 0 and the error still pending in {@code SO_ERROR};
   * this reads it without a system call. A failed connect posts its own CQE, and its check ends
   * {@code -ECANCELED}.
   */
  boolean connectChecked(int sock, MemorySegment to, int len, long userData, long optval,
      long checkData) {
    if (sqEntries - (tail - submittedTail) < 2 && submit(0, 0L) < 0
        && sqEntries - (tail - submittedTail) < 2) {
      return false; // both in one submission, or the link would be cut
    }
    if (!connect(sock, to, len, userData)) {
      return false;
    }
    long c = (long) ((tail - 1) & sqMask) * SQE_SIZE;
    sqes.set(ValueLayout.JAVA_BYTE, c + 1, (byte) (IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS));
    long o = next();
    sqes.set(ValueLayout.JAVA_BYTE, o, IORING_OP_URING_CMD);
    sqes.set(ValueLayout.JAVA_INT, o + 4, sock);
    sqes.set(ValueLayout.JAVA_INT, o + 8, SOCKET_URING_OP_GETSOCKOPT); // cmd_op
    sqes.set(ValueLayout.JAVA_INT, o + 16, Abi.SOL_SOCKET); // level
    sqes.set(ValueLayout.JAVA_INT, o + 20, Abi.SO_ERROR); // optname
    sqes.set(ValueLayout.JAVA_LONG, o + 32, checkData);
    sqes.set(ValueLayout.JAVA_INT, o + 44, 4); // optlen
    sqes.set(ValueLayout.JAVA_LONG, o + 48, optval);
    return true;
  }

  /**
   * {@code SOCKET_URING_OP_SETSOCKOPT(SOL_SOCKET, SO_LINGER)} from the {@code struct linger} at
   * {@code linger}, hard-linked to {@code IORING_OP_CLOSE}: a close that resets the connection, in
   * two SQEs and no system call (Linux 6.7). The close runs whatever the setsockopt answered; the
   * setsockopt posts a CQE ({@code optData}) only when it fails, the close always ({@code
   * closeData}), as {@link #close} says.
   */
  boolean lingerAndClose(int sock, long linger, long optData, long closeData) {
    if (sqEntries - (tail - submittedTail) < 2 && submit(0, 0L) < 0
        && sqEntries - (tail - submittedTail) < 2) {
      return false;
    }
    long o = next();
    sqes.set(ValueLayout.JAVA_BYTE, o, IORING_OP_URING_CMD);
    sqes.set(ValueLayout.JAVA_BYTE, o + 1, (byte) (IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS));
    sqes.set(ValueLayout.JAVA_INT, o + 4, sock);
    sqes.set(ValueLayout.JAVA_INT, o + 8, SOCKET_URING_OP_SETSOCKOPT);
    sqes.set(ValueLayout.JAVA_INT, o + 16, Abi.SOL_SOCKET);
    sqes.set(ValueLayout.JAVA_INT, o + 20, Abi.SO_LINGER);
    sqes.set(ValueLayout.JAVA_LONG, o + 32, optData);
    sqes.set(ValueLayout.JAVA_INT, o + 44, 8); // optlen
    sqes.set(ValueLayout.JAVA_LONG, o + 48, linger);
    return close(sock, closeData);
  }

  /**
   * {@code IORING_OP_CLOSE} of {@code fd}, with a CQE whatever the result: a close may run only
   * later (the second SQE of a link runs as deferred task work under {@code DEFER_TASKRUN}), and
   * one not run by the time the ring is closed is failed, not run, so the descriptor stays open.
   * The CQE is how the caller knows that the close is done, or that it must close by system call.
   */
  boolean close(int sock, long userData) {
    long o = next();
    if (o < 0) {
      return false;
    }
    sqes.set(ValueLayout.JAVA_BYTE, o, IORING_OP_CLOSE);
    sqes.set(ValueLayout.JAVA_INT, o + 4, sock);
    sqes.set(ValueLayout.JAVA_LONG, o + 32, userData);
    return true;
  }

  /** {@code IORING_OP_ASYNC_CANCEL} of the request with {@code target} as its user data. */
  boolean cancel(long target, long userData) {
    long o = next();
    if (o < 0) {
      return false;
    }
    sqes.set(ValueLayout.JAVA_BYTE, o, IORING_OP_ASYNC_CANCEL);
    sqes.set(ValueLayout.JAVA_BYTE, o + 1, IOSQE_CQE_SKIP_SUCCESS);
    sqes.set(ValueLayout.JAVA_INT, o + 4, -1);
    sqes.set(ValueLayout.JAVA_LONG, o + 16, target);
    sqes.set(ValueLayout.JAVA_LONG, o + 32, userData);
    return true;
  }

  /** {@code IORING_OP_READ} of {@code len} bytes of {@code fd} into {@code buf}. */
  boolean read(int file, long buf, int len, long userData) {
    long o = next();
    if (o < 0) {
      return false;
    }
    sqes.set(ValueLayout.JAVA_BYTE, o, IORING_OP_READ);
    sqes.set(ValueLayout.JAVA_INT, o + 4, file);
    sqes.set(ValueLayout.JAVA_LONG, o + 16, buf);
    sqes.set(ValueLayout.JAVA_INT, o + 24, len);
    sqes.set(ValueLayout.JAVA_LONG, o + 32, userData);
    return true;
  }

  /** SQEs written and not yet handed to the kernel. */
  int unsubmitted() {
    return tail - submittedTail;
  }

  /**
   * Publishes the queued SQEs and enters the kernel once: submits them and, when {@code
   * minComplete} > 0, waits until that many CQEs are there or {@code timeoutNanos} passed
   * ({@code 0}: no limit). Returns what {@code io_uring_enter} returned, or minus the errno
   * ({@code -ETIME} when the time passed, {@code -EINTR}).
   */
  int submit(int minComplete, long timeoutNanos) {
    int toSubmit = tail - submittedTail;
    INT.setRelease(sqRing, sqTail, tail);
    int flags = minComplete > 0 ? IORING_ENTER_GETEVENTS : 0;
    long arg = 0;
    long argSize = 0;
    if (minComplete > 0) {
      flags |= IORING_ENTER_EXT_ARG;
      if (timeoutNanos > 0) {
        timespec.set(ValueLayout.JAVA_LONG, 0, timeoutNanos / 1_000_000_000L);
        timespec.set(ValueLayout.JAVA_LONG, 8, timeoutNanos % 1_000_000_000L);
        getEventsArg.set(ValueLayout.JAVA_LONG, 16, timespec.address());
      } else {
        getEventsArg.set(ValueLayout.JAVA_LONG, 16, 0L);
      }
      arg = getEventsArg.address();
      argSize = 24;
    } else if (toSubmit == 0) {
      return 0;
    } else if ((setupFlags & IORING_SETUP_DEFER_TASKRUN) != 0) {
      flags |= IORING_ENTER_GETEVENTS; // runs the deferred completions too, waits for none
    }
    long r = Sys.syscall(st, Sys.NR_IO_URING_ENTER, fd, toSubmit, minComplete, flags, arg,
        argSize);
    if (r < 0) {
      int e = Sys.errno(st);
      // the SQEs were taken unless the kernel said so before looking at them
      submittedTail = (int) INT.getAcquire(sqRing, sqHead);
      return e == EBUSY ? 0 : -e;
    }
    submittedTail += (int) Math.min(r, toSubmit);
    if (r < toSubmit) {
      submittedTail = (int) INT.getAcquire(sqRing, sqHead);
    }
    return (int) r;
  }

  /**
   * Submits what is queued and runs the completions the kernel deferred to this thread ({@code
   * DEFER_TASKRUN}), such as the second request of a link, without waiting for any.
   */
  void flush() {
    submit(0, 0L);
    Sys.syscall(st, Sys.NR_IO_URING_ENTER, fd, 0, 0, IORING_ENTER_GETEVENTS, 0, 0);
  }

  // ---- completion queue ----

  /** CQEs ready to read, from {@link #cqeOffset(int)} 0 on. */
  int ready() {
    return (int) INT.getAcquire(cqRing, cqTail) - head;
  }

  /** The offset in {@link #cqRing()} of the {@code i}th ready CQE. */
  long cqeOffset(int i) {
    return cqes + (long) ((head + i) & cqMask) * CQE_SIZE;
  }

  MemorySegment cqRing() {
    return cqRing;
  }

  /** Hands {@code n} read CQEs back to the kernel. */
  void consumed(int n) {
    head += n;
    INT.setRelease(cqRing, cqHead, head);
  }

  @Override
  public void close() {
    Sys.munmap(sqes, (long) SQE_SIZE * sqEntries);
    Sys.munmap(sqRing, sqRingSize);
    if (cqRingSize > 0) {
      Sys.munmap(cqRing, cqRingSize);
    }
    Sys.close(fd);
  }
}
