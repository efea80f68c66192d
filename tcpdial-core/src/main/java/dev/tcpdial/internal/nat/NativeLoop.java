package dev.tcpdial.internal.nat;

import dev.tcpdial.Outcome;
import dev.tcpdial.internal.Clock;
import dev.tcpdial.internal.Errnos;
import dev.tcpdial.internal.EventLoop;
import dev.tcpdial.internal.TimerQueue;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One thread, one kernel interface ({@link Backend}: an epoll instance, or an io_uring {@link
 * Ring}), and every probe it carries as a slot in primitive arrays: the
 * socket, the generation (so a stale handle or a stale epoll event of a reused slot is ignored),
 * the state, the start time, the caller's cookie and completion, and the deadline in a {@link
 * SlotHeap}. A pending probe costs about 41 bytes of Java heap plus the kernel's socket; nothing is
 * allocated per probe but the caller's own objects.
 *
 * <p>Outcomes are values: a failed system call's errno goes through {@link Errnos#outcomeOf(int)};
 * nothing on the probe path throws. Probes that connected, timed out or were cancelled are closed
 * with {@code SO_LINGER} 0, so the kernel sends a reset and keeps no {@code TIME_WAIT} socket (the
 * far side sees a reset rather than an orderly close); a socket whose connect failed is simply
 * closed. See the package description for the contract of {@link #submit}.
 *
 * <p>What differs between the backends: how a connect starts ({@code open}: non-blocking {@code
 * connect} twice and epoll, or an {@code IORING_OP_CONNECT} SQE linked to an {@code SO_ERROR}
 * read), how the loop waits and what it reads ({@code run}: {@code epoll_wait}, or one {@code
 * io_uring_enter} per turn and the CQ ring), and how a socket is closed or its connect stopped
 * (system calls, or SQEs). The slots, the deadline heap, the self-connect rule and the completion
 * logic ({@code connected}, {@code end}) are the same code for both.
 */
public final class NativeLoop implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(NativeLoop.class.getName());


  /** Where a probe's end goes; runs on the loop thread, possibly inside {@link #submit}. */
  @FunctionalInterface
  public interface Completion {
    /**
     * The probe with {@code cookie} ended. {@code errno} is the kernel's errno, 0 when it gave
     * none (connected, or a deadline of ours). While this runs the probe's socket is still open:
     * {@link NativeLoop#localAddress()} reads its local address on demand.
     */
    void completed(int cookie, Outcome outcome, int errno, long elapsedNanos);
  }

  /**
   * Per-socket settings of every probe of a loop.
   *
   * @param local address to bind before connecting (port 0: the kernel picks), or null
   * @param synCount {@code TCP_SYNCNT}, 0 for the system's
   * @param userTimeoutMillis {@code TCP_USER_TIMEOUT}, 0 for the system's
   * @param bindNoPort {@code IP_BIND_ADDRESS_NO_PORT} before binding {@code local}
   * @param resetOnClose close probes that reached the far side with {@code SO_LINGER} 0 (default)
   */
  public record Options(InetSocketAddress local, int synCount, int userTimeoutMillis,
      boolean bindNoPort, boolean resetOnClose) {
    /** No source address, the system's SYN retries, reset on close. */
    public static final Options DEFAULT = new Options(null, 0, 0, true, true);
  }

  /** How a loop waits for its connects: the kernel interface under the slots. */
  public enum Backend {
    /** {@code io_uring}: {@code IORING_OP_CONNECT} and {@code IORING_OP_CLOSE} in batches. */
    URING,
    /** {@code epoll}: non-blocking {@code connect}, wait for writability. */
    EPOLL
  }

  private static final byte FREE = 0;
  private static final byte CONNECTING = 1; // io_uring: the connect is the kernel's
  private static final byte ENDING = 2;
  private static final byte SETTLED = 3; // io_uring: its CQE is in, the socket is ours again
  private static final long WAKE = -1L;
  private static final long IGNORED = -2L; // io_uring: user data of cancels and setsockopts
  // io_uring: user data of a close, with the descriptor in the low 32 bits
  private static final long CLOSE_TAG = Long.MIN_VALUE;
  private static final int ECANCELED = 125;
  private static final long DRAIN_NANOS = 2_000_000_000L; // shutdown: longest wait for closes
  private static final long CHECK = 1L << 62; // io_uring: user data of a connect's SO_ERROR read
  private static final int MAX_EVENTS = 1024;
  private static final int RUNNING = 0;
  private static final int CLOSING = 1;
  private static final int TERMINATED = 2;

  private final Options options;
  private final Clock clock;
  private final Thread thread;
  private final TimerQueue timers = new TimerQueue();
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  private final Object wakeLock = new Object();
  private volatile int state = RUNNING;

  // native memory, loop thread only except wakeBuf (read-only after construction)
  private final Arena arena = Arena.ofShared();
  private final MemorySegment st; // captured errno
  private final MemorySegment events;
  private final MemorySegment sa; // sockaddr_in / sockaddr_in6
  private final MemorySegment peerSa; // getpeername / getsockname, to spot a self-connect
  private final MemorySegment selfSa;
  private final MemorySegment intVal;
  private final MemorySegment lenVal;
  private final MemorySegment linger0;
  private final MemorySegment ev1; // one epoll_event for epoll_ctl
  private final MemorySegment wakeBuf;
  private final MemorySegment readBuf;
  private final MemorySegment localSa; // bound source address, or null
  private final int localLen;
  private final int localFamily;
  private final int epfd;
  private final int efd;
  private final Ring ring; // null on epoll
  private boolean closeNow; // io_uring: close by system call (the ring is going away)
  private int ringCloses; // io_uring: closes handed to the ring whose CQE is not in yet
  private boolean wakeClosed;

  // slots
  private int[] fd;
  private int[] gen;
  private byte[] st8;
  private long[] start;
  private int[] cookie; // the free list's next link while a slot is free
  private Completion[] handler;
  private char[] port; // the destination port, to spot a connection to itself
  private byte[] tries; // connects of this slot that ended connected to themselves
  private final SlotHeap deadlines;
  private int freeHead = -1;
  private int used; // slots ever handed out (high-water mark)
  private int pending;
  private int current = -1; // the slot whose completion is running
  private long socketsOpened;

  private NativeLoop(String name, Options options, Clock clock, int initialCapacity,
      Backend backend) {
    if (Sys.UNAVAILABLE != null) {
      throw new UnsupportedOperationException(Sys.UNAVAILABLE);
    }
    this.options = Objects.requireNonNull(options, "options");
    this.clock = clock;
    st = arena.allocate(Sys.STATE_SIZE);
    events = arena.allocate(Abi.EV_SIZE * MAX_EVENTS, 8);
    sa = arena.allocate(Abi.SOCKADDR_IN6);
    peerSa = arena.allocate(Abi.SOCKADDR_IN6);
    selfSa = arena.allocate(Abi.SOCKADDR_IN6);
    intVal = arena.allocate(ValueLayout.JAVA_INT);
    lenVal = arena.allocate(ValueLayout.JAVA_INT);
    linger0 = arena.allocate(Abi.LINGER);
    linger0.set(ValueLayout.JAVA_INT, 0, 1);
    linger0.set(ValueLayout.JAVA_INT, 4, 0);
    ev1 = arena.allocate(Abi.EPOLL_EVENT);
    wakeBuf = arena.allocate(ValueLayout.JAVA_LONG);
    wakeBuf.set(ValueLayout.JAVA_LONG, 0, 1L);
    readBuf = arena.allocate(ValueLayout.JAVA_LONG);
    if (options.local() != null && options.local().getAddress() != null) {
      localSa = arena.allocate(Abi.SOCKADDR_IN6);
      localLen = writeSockaddr(localSa, options.local().getAddress(), options.local().getPort());
      localFamily = options.local().getAddress() instanceof Inet6Address ? Abi.AF_INET6 : Abi.AF_INET;
    } else {
      localSa = null;
      localLen = 0;
      localFamily = 0;
    }
    int cap = Math.max(16, initialCapacity);
    fd = new int[cap];
    gen = new int[cap];
    st8 = new byte[cap];
    start = new long[cap];
    cookie = new int[cap];
    handler = new Completion[cap];
    port = new char[cap];
    tries = new byte[cap];
    deadlines = new SlotHeap(cap);
    if (backend == Backend.URING) {
      try {
        ring = Ring.open(RING_ENTRIES, arena);
      } catch (Ring.Refused r) {
        arena.close();
        throw new StartFailed(r.getMessage(), r.errno, true);
      }
      int ev = Sys.eventfd(st, 0, Abi.EFD_CLOEXEC);
      if (ev < 0) {
        int e = Sys.errno(st);
        ring.close();
        arena.close();
        throw new StartFailed("eventfd", e);
      }
      epfd = -1;
      efd = ev;
      checkByRing = ring.uringCmd && ring.skipsSuccess();
      thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this::run);
      return;
    }
    ring = null;
    int ep = Sys.epollCreate1(st, Abi.EPOLL_CLOEXEC);
    if (ep < 0) {
      int e = Sys.errno(st);
      arena.close();
      throw new StartFailed("epoll_create1", e);
    }
    int ev = Sys.eventfd(st, 0, Abi.EFD_NONBLOCK | Abi.EFD_CLOEXEC);
    if (ev < 0) {
      int e = Sys.errno(st);
      Sys.close(ep);
      arena.close();
      throw new StartFailed("eventfd", e);
    }
    ev1.set(ValueLayout.JAVA_INT, Abi.EV_EVENTS, Abi.EPOLLIN);
    ev1.set(ValueLayout.JAVA_LONG_UNALIGNED, Abi.EV_DATA, WAKE);
    if (Sys.epollCtl(st, ep, Abi.EPOLL_CTL_ADD, ev, ev1) < 0) {
      int e = Sys.errno(st);
      Sys.close(ev);
      Sys.close(ep);
      arena.close();
      throw new StartFailed("epoll_ctl(eventfd)", e);
    }
    epfd = ep;
    efd = ev;
    thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this::run);
  }

  /** Null when the native engine runs here, else why not, in one line. Links the C calls. */
  public static String unavailable() {
    return Precheck.WHY != null ? Precheck.WHY : Sys.UNAVAILABLE;
  }

  /**
   * Like {@link #unavailable()} but without linking (which takes a while, once): the platform,
   * the architecture and native access. The C calls may still fail to link, which {@link #start}
   * reports.
   */
  public static String unavailableBeforeLinking() {
    return Precheck.WHY;
  }

  /** The loop could not be set up: the kernel refused an epoll instance or an eventfd. */
  public static final class StartFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    StartFailed(String what, int errno) {
      super(what + ": " + dev.tcpdial.Errno.of(errno));
      this.errno = errno;
    }

    StartFailed(String why, int errno, boolean said) {
      super(why);
      this.errno = errno;
    }

    /** The errno of the failed call. */
    public int errno() {
      return errno;
    }
  }

  private static final java.util.concurrent.atomic.AtomicBoolean WARMED =
      new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * Once per JVM, on a daemon thread of its own: calls every system call of the probe path once on a
   * socket that never connects (and an epoll instance and an eventfd of its own), so the first real
   * probe does not pay for the first invocation of each downcall. Sends nothing.
   */
  public static void warmUpInBackground() {
    if (Precheck.WHY != null || !WARMED.compareAndSet(false, true)) {
      return;
    }
    Thread.ofPlatform().name("tcpdial-native-warmup").daemon().start(NativeLoop::warmUpOnce);
  }

  /** The same warm-up on the calling thread; waits for one already running. Sends nothing. */
  public static void warmUpNow() {
    if (Precheck.WHY != null) {
      return;
    }
    WARMED.set(true);
    warmUpOnce();
  }

  private static synchronized void warmUpOnce() {
    if (!WARM_DONE) {
      warmUp();
      WARM_DONE = true;
    }
  }

  private static boolean WARM_DONE; // guarded by NativeLoop.class

  private static void warmUp() {
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
      int s = Sys.socket(st, Abi.AF_INET, Abi.SOCK_STREAM | Abi.SOCK_NONBLOCK | Abi.SOCK_CLOEXEC, 0);
      Sys.errno(st);
      writeSockaddr(sa, InetAddress.getByAddress(new byte[16]), 1);
      writeSockaddr(sa, InetAddress.getByAddress(new byte[4]), 1);
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
      readSockaddr(sa);
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

  /**
   * Starts a loop on a new daemon thread.
   *
   * @throws UnsupportedOperationException where {@link #unavailable()} is non-null
   * @throws StartFailed when the kernel refuses an epoll instance or an eventfd
   */
  public static NativeLoop start(String name, Options options, Clock clock) {
    return start(name, options, clock, 256);
  }

  /** Like {@link #start(String, Options, Clock)} with room for {@code capacity} probes at first. */
  public static NativeLoop start(String name, Options options, Clock clock, int capacity) {
    return start(name, options, clock, capacity, Backend.EPOLL);
  }

  /**
   * A loop on {@code backend}.
   *
   * @throws StartFailed when the kernel refuses it (for io_uring: no ring, or one without an
   *     opcode the loop needs; the message says which)
   */
  public static NativeLoop start(String name, Options options, Clock clock, int capacity,
      Backend backend) {
    NativeLoop l = new NativeLoop(name, options, clock, capacity, backend);
    l.thread.start();
    return l;
  }

  /** The loop's backend. */
  public Backend backend() {
    return ring != null ? Backend.URING : Backend.EPOLL;
  }

  private static final int RING_ENTRIES = 1024;

  /**
   * Null when io_uring can carry this engine's probes here, else why not, in one line: asks the
   * kernel each time (a ring of 8 entries, set up, probed for the opcodes, closed: about 50 us),
   * since {@code kernel.io_uring_disabled} may change.
   */
  public static String uringUnavailable() {
    String why = unavailable();
    if (why != null) {
      return why;
    }
    try (Arena a = Arena.ofConfined()) {
      Ring.open(8, a).close();
      return null;
    } catch (Ring.Refused r) {
      return r.getMessage();
    }
  }

  // ---- any thread ----

  /** True on the loop's thread. */
  public boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  /** True once {@link #close()} was called. */
  public boolean closing() {
    return state != RUNNING;
  }

  /** The loop's clock. */
  public Clock clock() {
    return clock;
  }

  /**
   * Runs {@code task} on the loop thread after the next {@code epoll_wait}, so that what is ready
   * is seen first: for work that must not starve the sockets it feeds. Loop thread only.
   */
  public void nextTurn(Runnable task) {
    nextTurn.add(task);
  }

  private java.util.ArrayDeque<Runnable> nextTurn = new java.util.ArrayDeque<>();
  private java.util.ArrayDeque<Runnable> thisTurn = new java.util.ArrayDeque<>();

  /**
   * Runs {@code task} on the loop thread, soon; once the loop has ended, on the caller's thread
   * (the task sees {@link #closing()}).
   */
  public void execute(Runnable task) {
    tasks.add(task);
    if (state == TERMINATED) {
      drainTasks();
    } else if (!inLoop() && wakeupPending.compareAndSet(false, true)) {
      synchronized (wakeLock) {
        if (!wakeClosed) {
          Sys.write(efd, wakeBuf, 8);
        }
      }
    }
  }

  // ---- loop thread ----

  /** The loop's timers for other work (races); loop thread only. */
  public TimerQueue timers() {
    return timers;
  }

  /** Probes in flight; loop thread only. */
  public int pending() {
    return pending;
  }

  /** Slots the arrays hold room for; loop thread only. */
  public int capacity() {
    return fd.length;
  }

  /** Sockets opened so far; loop thread only. */
  public long socketsOpened() {
    return socketsOpened;
  }

  /**
   * Starts a probe of {@code address}:{@code port} that must end by {@code deadlineNanos} (on the
   * clock's scale; {@link Long#MAX_VALUE}: the kernel's own limit). Returns its handle for {@link
   * #cancel}, or -1 when it ended already: then {@code completion} has run before this returned.
   * Loop thread only.
   *
   * @throws IllegalArgumentException for a null or unresolved address or a port outside 1..65535,
   *     before any system call
   */
  public long submit(InetAddress address, int port, long deadlineNanos, int cookie,
      Completion completion) {
    checkArgs(address, port, completion);
    if (state != RUNNING) {
      return start(0, 0, deadlineNanos, cookie, completion); // ends cancelled, no memory touched
    }
    int len = writeSockaddr(sa, address, port);
    return start(len == 16 ? Abi.AF_INET : Abi.AF_INET6, len, deadlineNanos, cookie, completion);
  }

  /**
   * {@link #submit} for an IPv4 address given as an int in the usual order (198.18.0.1 is
   * 0xC6120001), allocating nothing.
   */
  public long submit4(int ipv4, int port, long deadlineNanos, int cookie, Completion completion) {
    checkPort(port);
    Objects.requireNonNull(completion, "completion");
    checkThread();
    if (state != RUNNING) {
      return start(0, 0, deadlineNanos, cookie, completion); // ends cancelled, no memory touched
    }
    sa.fill((byte) 0);
    sa.set(ValueLayout.JAVA_SHORT, 0, (short) Abi.AF_INET);
    sa.set(Abi.NET_SHORT, Abi.SIN_PORT,
        (short) port);
    sa.set(Abi.NET_INT, Abi.SIN_ADDR, ipv4);
    return start(Abi.AF_INET, 16, deadlineNanos, cookie, completion);
  }

  private void checkArgs(InetAddress address, int port, Completion completion) {
    if (!(address instanceof Inet4Address) && !(address instanceof Inet6Address)) {
      throw new IllegalArgumentException("not an IPv4 or IPv6 address: " + address);
    }
    checkPort(port);
    Objects.requireNonNull(completion, "completion");
    checkThread();
  }

  private static void checkPort(int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be 1 to 65535: " + port);
    }
  }

  private void checkThread() {
    if (!inLoop() && state != TERMINATED) {
      throw new IllegalStateException("submit from the loop thread only (use execute)");
    }
  }

  private long start(int family, int len, long deadlineNanos, int ck, Completion c) {
    int slot = allocate();
    start[slot] = clock.nanoTime();
    cookie[slot] = ck;
    handler[slot] = c;
    fd[slot] = -1;
    st8[slot] = CONNECTING;
    tries[slot] = 0;
    port[slot] = family == 0 ? 0
        : (char) sa.get(Abi.NET_SHORT,
            family == Abi.AF_INET ? Abi.SIN_PORT : Abi.SIN6_PORT);
    pending++;
    if (state != RUNNING) {
      end(slot, Outcome.CANCELLED, 0, CLOSE);
      return -1;
    }
    long handle = open(slot, family, len, sa, 0);
    if (handle >= 0 && deadlineNanos != Long.MAX_VALUE) {
      deadlines.schedule(slot, deadlineNanos);
    }
    return handle;
  }

  /**
   * socket (or a spare one), options, connect to {@code to}, epoll; the handle, or -1 when the
   * probe ended.
   *
   * <p>After {@code EINPROGRESS} the socket is asked once more with a second {@code connect} to the
   * same address rather than {@code getsockopt(SO_ERROR)}: to a local address the answer is often
   * in before the first call returns (loopback handles the SYN and the RST inside it). The second
   * call answers {@code EALREADY} while the handshake runs (epoll decides then), 0 when it has
   * completed, and the pending error when it has failed: on Linux that call also returns the
   * socket to its unconnected state, with the kernel's own disconnect, so the socket can carry the
   * next probe of its family instead of being closed. A probe to a closed port then costs two
   * system calls instead of four (socket, connect, getsockopt, close) and no socket is allocated
   * and freed for it. Sockets of a loop with a source address are never reused.
   */
  private long open(int slot, int family, int len, MemorySegment to, int reusedSaid) {
    if (ring != null) {
      return submitConnect(slot, family, len, to);
    }
    int s = reusedSaid == 0 ? takeSpare(family) : -1;
    boolean reused = s >= 0;
    if (!reused) {
      s = newSocket(slot, family, Abi.SOCK_NONBLOCK);
      if (s < 0) {
        return -1;
      }
    }
    fd[slot] = s;
    int e = Sys.connect(st, s, to, len) == 0 ? 0 : Sys.errno(st);
    if (reusedSaid != 0 && e != reusedSaid) {
      spareOff = true; // a kept socket answered unlike a fresh one: keep none any more
    }
    if (e == 0) {
      return connected(slot);
    }
    if (e != Abi.EINPROGRESS) {
      if (reused && (e == Abi.EINVAL || e == Abi.EALREADY || e == Abi.EISCONN)) {
        // could be the state of the socket rather than the path (a blackhole route says EINVAL
        // too): a fresh socket decides
        Sys.close(s);
        fd[slot] = -1;
        return open(slot, family, len, to, e);
      }
      end(slot, Errnos.outcomeOf(e), e, CLOSE);
      return -1;
    }
    if (completing >= MAX_INLINE_DEPTH) {
      // inside that many completions already, each of which started a probe that ended at once:
      // let epoll report this one, so the stack stays bounded whatever the completions do
      return register(slot, s);
    }
    if (Sys.connect(st, s, to, len) == 0) {
      return connected(slot);
    }
    e = Sys.errno(st);
    if (e == Abi.EISCONN) {
      return connected(slot);
    }
    if (e != Abi.EALREADY) {
      end(slot, Errnos.outcomeOf(e), e, spareOff ? CLOSE : family == Abi.AF_INET ? KEEP4 : KEEP6);
      return -1;
    }
    return register(slot, s);
  }

  /**
   * io_uring: a socket (blocking: the ring makes the connect asynchronous itself, and a
   * non-blocking one would hand {@code EINPROGRESS} back), its options, then an {@code
   * IORING_OP_CONNECT} SQE that the loop submits with the rest of its turn's. Its CQE's {@code res}
   * is 0 or minus the errno. The handle, or -1 when the probe ended.
   */
  private long submitConnect(int slot, int family, int len, MemorySegment to) {
    st8[slot] = SETTLED; // nothing in the kernel's hands yet
    int s = newSocket(slot, family, 0);
    if (s < 0) {
      return -1;
    }
    long handle = ((long) gen[slot] << 32) | slot;
    boolean queued = checkByRing
        ? ring.connectChecked(s, to, len, handle, soError(slot), handle | CHECK)
        : ring.connect(s, to, len, handle);
    if (!queued) {
      end(slot, Outcome.ERROR, 0, CLOSE); // the kernel took no SQE at all
      return -1;
    }
    st8[slot] = CONNECTING;
    return handle;
  }

  /**
   * A TCP socket of {@code family} ({@code SOCK_CLOEXEC} and {@code flags}) with the loop's options,
   * put in the slot; -1 when a call failed and the probe ended.
   */
  private int newSocket(int slot, int family, int flags) {
    int s = Sys.socket(st, family, Abi.SOCK_STREAM | Abi.SOCK_CLOEXEC | flags, 0);
    if (s < 0) {
      int e = Sys.errno(st);
      end(slot, setupOutcome(e), e, CLOSE);
      return -1;
    }
    socketsOpened++;
    fd[slot] = s;
    int e = configure(s, family);
    if (e != 0) {
      end(slot, setupOutcome(e), e, CLOSE);
      return -1;
    }
    return s;
  }

  /** Adds the slot's socket to epoll; its handle, or -1 when that failed and the probe ended. */
  private long register(int slot, int s) {
    long handle = ((long) gen[slot] << 32) | slot;
    ev1.set(ValueLayout.JAVA_INT, Abi.EV_EVENTS, Abi.EPOLLOUT | Abi.EPOLLET);
    ev1.set(ValueLayout.JAVA_LONG_UNALIGNED, Abi.EV_DATA, handle);
    if (Sys.epollCtl(st, epfd, Abi.EPOLL_CTL_ADD, s, ev1) < 0) {
      int e = Sys.errno(st);
      end(slot, setupOutcome(e), e, RESET);
      return -1;
    }
    return handle;
  }

  private static final int SPARE_MAX = 4;
  private static final int MAX_INLINE_DEPTH = 8;
  private int completing; // completions running, one inside another
  private static final int CLOSE = 0;
  private static final int RESET = 1;
  private static final int KEEP4 = 2;
  private static final int KEEP6 = 3;
  private final int[] spare4 = new int[SPARE_MAX];
  private final int[] spare6 = new int[SPARE_MAX];
  private int spare4Count;
  private int spare6Count;
  private boolean spareOff; // set once a reused socket answered unlike a fresh one

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

  /** Keeps {@code s} for the next probe of its family, or closes it. */
  private void keepOrClose(int s, int disposal) {
    if (localSa == null && !spareOff && state == RUNNING && ring == null) {
      if (disposal == KEEP4 && spare4Count < SPARE_MAX) {
        spare4[spare4Count++] = s;
        return;
      }
      if (disposal == KEEP6 && spare6Count < SPARE_MAX) {
        spare6[spare6Count++] = s;
        return;
      }
    }
    closeSocket(s, false);
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
   * The slot's socket connected, unless it connected to itself: a connect to a local port in the
   * ephemeral range with nothing listening can be given that very port as its source and complete
   * by simultaneous open (RFC 793). As Go's net package does, such a connection is closed and the
   * connect tried again from another port, at most twice, after which the probe ends {@code
   * refused} with no errno: nothing listens there. The handle, or -1 when the probe ended.
   */
  private long connected(int slot) {
    int p = port[slot];
    if (p < EPHEMERAL_LO || p > EPHEMERAL_HI || !selfConnected(slot)) {
      end(slot, Outcome.CONNECTED, 0, RESET);
      return -1;
    }
    if (tries[slot] >= 2) { // only ourselves, three times: nothing listens there
      end(slot, Outcome.REFUSED, 0, RESET);
      return -1;
    }
    tries[slot]++;
    int family = peerSa.get(ValueLayout.JAVA_SHORT, 0);
    int len = family == Abi.AF_INET ? 16 : (int) Abi.SOCKADDR_IN6.byteSize();
    closeSocket(fd[slot], true);
    fd[slot] = -1;
    return open(slot, family, len, peerSa, 0);
  }

  /**
   * True when the slot's socket is connected to itself. The local address is read first and kept
   * for {@link #localAddress()}; only when its port is the dialed port is the peer read as well.
   */
  private boolean selfConnected(int slot) {
    int s = fd[slot];
    lenVal.set(ValueLayout.JAVA_INT, 0, (int) Abi.SOCKADDR_IN6.byteSize());
    if (Sys.getsockname(st, s, selfSa, lenVal) != 0) {
      return false;
    }
    int n = lenVal.get(ValueLayout.JAVA_INT, 0);
    selfSaSlot = slot;
    int family = selfSa.get(ValueLayout.JAVA_SHORT, 0);
    int localPort = Short.toUnsignedInt(
        selfSa.get(Abi.NET_SHORT, family == Abi.AF_INET ? Abi.SIN_PORT : Abi.SIN6_PORT));
    if (localPort != port[slot]) {
      return false;
    }
    lenVal.set(ValueLayout.JAVA_INT, 0, (int) Abi.SOCKADDR_IN6.byteSize());
    if (Sys.getpeername(st, s, peerSa, lenVal) != 0 || lenVal.get(ValueLayout.JAVA_INT, 0) != n) {
      return false;
    }
    return peerSa.asSlice(0, n).mismatch(selfSa.asSlice(0, n)) < 0;
  }

  private int selfSaSlot = -1; // the slot whose local address selfSa holds, read while it ends

  private static final int EPHEMERAL_LO;
  private static final int EPHEMERAL_HI;

  static {
    int lo = 1024;
    int hi = 65535;
    try {
      String[] r = java.nio.file.Files.readString(
          java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
      lo = Integer.parseInt(r[0]);
      hi = Integer.parseInt(r[1]);
    } catch (java.io.IOException | RuntimeException e) {
      // unknown range: check every local port above the privileged ones
    }
    EPHEMERAL_LO = lo;
    EPHEMERAL_HI = hi;
  }

  // Failures before the connect are about this machine: EINVAL there is a plain error.
  private static Outcome setupOutcome(int errno) {
    return errno == 22 ? Outcome.ERROR : Errnos.outcomeOf(errno);
  }

  /** Socket options and the source address; 0 or the errno of the first that failed. */
  private int configure(int s, int family) {
    if (options.synCount() > 0
        && setInt(s, Abi.IPPROTO_TCP, Abi.TCP_SYNCNT, options.synCount()) != 0) {
      return Sys.errno(st);
    }
    if (options.userTimeoutMillis() > 0
        && setInt(s, Abi.IPPROTO_TCP, Abi.TCP_USER_TIMEOUT, options.userTimeoutMillis()) != 0) {
      return Sys.errno(st);
    }
    if (localSa != null) {
      if (family != localFamily) {
        return 97; // EAFNOSUPPORT, as bind(2) says for a source of the other family
      }
      if (options.bindNoPort() && options.local().getPort() == 0
          && setInt(s, Abi.IPPROTO_IP, Abi.IP_BIND_ADDRESS_NO_PORT, 1) != 0) {
        return Sys.errno(st);
      }
      if (Sys.bind(st, s, localSa, localLen) != 0) {
        return Sys.errno(st);
      }
    }
    return 0;
  }

  private int setInt(int s, int level, int name, int value) {
    intVal.set(ValueLayout.JAVA_INT, 0, value);
    return Sys.setsockopt(st, s, level, name, intVal, 4);
  }

  /**
   * Stops the probe {@code handle} and closes its socket, without calling its completion. False
   * when it has ended already (or the handle is stale). Loop thread only.
   */
  public boolean cancel(long handle) {
    int slot = (int) handle;
    if (handle < 0 || slot >= used || gen[slot] != (int) (handle >>> 32)
        || st8[slot] != CONNECTING) {
      return false;
    }
    deadlines.remove(slot);
    cancelInKernel(slot);
    closeSocket(fd[slot], true);
    release(slot);
    return true;
  }

  /**
   * The local address of the probe whose completion is running, or null when the socket has none
   * or it is asked at another time. One {@code getsockname} call.
   */
  public InetSocketAddress localAddress() {
    if (current < 0 || fd[current] < 0 || state == TERMINATED) {
      return null;
    }
    if (selfSaSlot == current) {
      return readSockaddr(selfSa); // read by the self-connect check just before
    }
    lenVal.set(ValueLayout.JAVA_INT, 0, (int) Abi.SOCKADDR_IN6.byteSize());
    if (Sys.getsockname(st, fd[current], sa, lenVal) != 0) {
      return null;
    }
    return readSockaddr(sa);
  }

  // ---- slots ----

  private int allocate() {
    int slot = freeHead;
    if (slot >= 0) {
      freeHead = cookie[slot];
      return slot;
    }
    if (used == fd.length) {
      int cap = fd.length + (fd.length >> 1);
      fd = Arrays.copyOf(fd, cap);
      gen = Arrays.copyOf(gen, cap);
      st8 = Arrays.copyOf(st8, cap);
      start = Arrays.copyOf(start, cap);
      cookie = Arrays.copyOf(cookie, cap);
      handler = Arrays.copyOf(handler, cap);
      port = Arrays.copyOf(port, cap);
      tries = Arrays.copyOf(tries, cap);
      deadlines.grow(cap);
    }
    return used++;
  }

  private void release(int slot) {
    st8[slot] = FREE;
    fd[slot] = -1;
    handler[slot] = null;
    gen[slot] = (gen[slot] + 1) & 0x3fff_ffff; // handles stay non-negative, clear of CHECK
    cookie[slot] = freeHead;
    freeHead = slot;
    pending--;
  }

  /** io_uring: a connect still in the kernel's hands is cancelled before its socket is closed. */
  private void cancelInKernel(int slot) {
    if (ring != null && st8[slot] == CONNECTING && !closeNow) {
      ring.cancel(((long) gen[slot] << 32) | slot, IGNORED);
    }
  }

  /** Calls the completion with the socket still open, then closes it and frees the slot. */
  private void end(int slot, Outcome outcome, int errno, int disposal) {
    deadlines.remove(slot);
    cancelInKernel(slot);
    st8[slot] = ENDING;
    Completion c = handler[slot];
    int prev = current;
    current = slot;
    completing++;
    try {
      c.completed(cookie[slot], outcome, errno, clock.nanoTime() - start[slot]);
    } catch (RuntimeException | Error e) {
      // a completion must not end the loop; it is our own code, so this is a bug worth showing
      LOG.log(System.Logger.Level.ERROR, "a probe's completion failed; the loop goes on", e);
    } finally {
      completing--;
      current = prev;
      if (selfSaSlot == slot) {
        selfSaSlot = -1;
      }
    }
    int s = fd[slot];
    if (s >= 0 && disposal >= KEEP4) {
      keepOrClose(s, disposal);
    } else {
      closeSocket(s, disposal == RESET);
    }
    release(slot);
  }

  private void closeSocket(int s, boolean reset) {
    if (s < 0) {
      return;
    }
    if (ring != null && !closeNow && checkByRing && reset && options.resetOnClose()
        && ring.lingerAndClose(s, linger0.address(), IGNORED, closeData(s))) {
      ringCloses++; // both by the ring (Linux 6.7)
      return;
    }
    if (reset && options.resetOnClose()) {
      Sys.setsockopt(st, s, Abi.SOL_SOCKET, Abi.SO_LINGER, linger0, (int) Abi.LINGER.byteSize());
    }
    if (ring != null && !closeNow && ring.close(s, closeData(s))) {
      ringCloses++;
      return;
    }
    Sys.close(s);
  }

  private static long closeData(int s) {
    return CLOSE_TAG | (s & 0xffff_ffffL);
  }

  private static boolean isClose(long data) {
    return (data >>> 32) == (CLOSE_TAG >>> 32);
  }

  /**
   * io_uring: the CQE of a close the ring was given. A close that never ran ({@code -ECANCELED}: its
   * link was cut, or the ring is going away) leaves the descriptor open and ours: closed here.
   */
  private void ringClosed(long data, int res) {
    ringCloses--;
    if (res == -ECANCELED) {
      Sys.close((int) data);
    }
  }

  /**
   * io_uring, as the loop stops: submits what is queued and waits until every close given to the
   * ring has posted its CQE. A close may still be pending as deferred task work (the second SQE of
   * a link, with {@code DEFER_TASKRUN} run only inside {@code io_uring_enter}, a bounded number at
   * a time); once the ring is closed the kernel fails such work instead of running it, and the
   * descriptor would stay open for good.
   */
  private void drainRingCloses() {
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
  }

  // ---- the loop ----

  private void run() {
    if (ring != null) {
      runRing();
      return;
    }
    try {
      while (state == RUNNING) {
        int timeout = tasks.isEmpty() && nextTurn.isEmpty() ? waitMillis() : 0;
        int n = Sys.epollWait(st, epfd, events, MAX_EVENTS, timeout);
        if (n < 0) {
          int e = Sys.errno(st);
          if (e != Abi.EINTR) {
            System.err.println("tcpdial native loop: epoll_wait failed: " + dev.tcpdial.Errno.of(e));
            break;
          }
          n = 0;
        }
        for (int i = 0; i < n; i++) {
          long base = i * Abi.EV_SIZE;
          long data = events.get(ValueLayout.JAVA_LONG_UNALIGNED, base + Abi.EV_DATA);
          if (data == WAKE) {
            Sys.read(efd, readBuf, 8);
            wakeupPending.set(false);
            continue;
          }
          int slot = (int) data;
          if (slot < 0 || slot >= used || gen[slot] != (int) (data >>> 32)
              || st8[slot] != CONNECTING) {
            continue; // a slot cancelled or ended earlier in this batch
          }
          ready(slot, events.get(ValueLayout.JAVA_INT_UNALIGNED, base + Abi.EV_EVENTS));
        }
        java.util.ArrayDeque<Runnable> due = nextTurn;
        nextTurn = thisTurn;
        thisTurn = due;
        Runnable r;
        while ((r = due.poll()) != null) {
          r.run();
        }
        drainTasks();
        expire(clock.nanoTime());
        timers.expire(clock.nanoTime());
        if (pending == 0) {
          closeSpares(); // kept sockets serve the probes of a turn: an idle loop holds none
        }
      }
    } finally {
      shutdown();
    }
  }

  /**
   * The io_uring loop: one {@code io_uring_enter} per turn submits what the turn queued (connects,
   * closes, cancels) and waits for a CQE, a wake-up (a read of the eventfd, always queued) or the
   * next deadline, to the nanosecond.
   */
  private void runRing() {
    try {
      int e = ring.enable();
      if (e != 0) {
        LOG.log(System.Logger.Level.ERROR, "io_uring: enabling the ring failed: "
            + dev.tcpdial.Errno.of(e));
        return;
      }
      ring.read(efd, readBuf.address(), 8, WAKE);
      MemorySegment cq = ring.cqRing();
      while (state == RUNNING) {
        boolean wait = tasks.isEmpty() && nextTurn.isEmpty();
        long timeout = wait ? waitNanos() : 0;
        // timeout -1: none, wait for a CQE; 0: a deadline is due, do not wait
        int r = ring.submit(wait && timeout != 0 ? 1 : 0, Math.max(timeout, 0));
        if (r < 0 && r != -Ring.ETIME && r != -Abi.EINTR) {
          LOG.log(System.Logger.Level.ERROR, "io_uring_enter failed: " + dev.tcpdial.Errno.of(-r));
          break;
        }
        int n = ring.ready();
        for (int i = 0; i < n; i++) {
          long o = ring.cqeOffset(i);
          long data = cq.get(ValueLayout.JAVA_LONG, o);
          int res = cq.get(ValueLayout.JAVA_INT, o + 8);
          if (data == WAKE) {
            wakeupPending.set(false);
            ring.read(efd, readBuf.address(), 8, WAKE);
            continue;
          }
          if (isClose(data)) {
            ringClosed(data, res);
            continue;
          }
          int slot = (int) data;
          if (data < 0 || slot >= used || gen[slot] != (int) ((data & ~CHECK) >>> 32)
              || st8[slot] != CONNECTING) {
            continue; // a close, a cancel, or the connect of a probe that ended before
          }
          st8[slot] = SETTLED;
          int err;
          if ((data & CHECK) != 0 && res >= 0) {
            err = soErrors.get(slot >>> CHUNK_BITS).get(ValueLayout.JAVA_INT,
                4L * (slot & (CHUNK - 1)));
          } else if ((data & CHECK) != 0 || res >= 0) {
            // the kernel cannot read SO_ERROR for us (before 6.7): a system call, now and later
            checkByRing = checkByRing && res >= 0;
            err = soErrorBySyscall(fd[slot]);
          } else {
            err = -res;
          }
          if (err == 0) {
            connected(slot);
          } else {
            end(slot, Errnos.outcomeOf(err), err, CLOSE);
          }
        }
        ring.consumed(n);
        java.util.ArrayDeque<Runnable> due = nextTurn;
        nextTurn = thisTurn;
        thisTurn = due;
        Runnable t;
        while ((t = due.poll()) != null) {
          t.run();
        }
        drainTasks();
        expire(clock.nanoTime());
        timers.expire(clock.nanoTime());
      }
    } finally {
      shutdown();
    }
  }

  private static final int CHUNK_BITS = 10;
  private static final int CHUNK = 1 << CHUNK_BITS;
  /**
   * io_uring: one int per slot for the kernel to write the slot's {@code SO_ERROR} into, in chunks
   * that never move (the kernel writes them long after the SQE was submitted).
   */
  private final java.util.List<MemorySegment> soErrors = new java.util.ArrayList<>();
  private boolean checkByRing;

  private long soError(int slot) {
    while (soErrors.size() <= slot >>> CHUNK_BITS) {
      soErrors.add(arena.allocate(4L * CHUNK, 8));
    }
    MemorySegment chunk = soErrors.get(slot >>> CHUNK_BITS);
    chunk.set(ValueLayout.JAVA_INT, 4L * (slot & (CHUNK - 1)), -1);
    return chunk.address() + 4L * (slot & (CHUNK - 1));
  }

  private int soErrorBySyscall(int s) {
    lenVal.set(ValueLayout.JAVA_INT, 0, 4);
    if (Sys.getsockopt(st, s, Abi.SOL_SOCKET, Abi.SO_ERROR, intVal, lenVal) != 0) {
      return Sys.errno(st);
    }
    return intVal.get(ValueLayout.JAVA_INT, 0);
  }

  /** Nanoseconds to the next deadline; -1 for none, 0 when one is due. */
  private long waitNanos() {
    long next = Math.min(deadlines.nextDeadline(), timers.nextDeadline());
    if (next == Long.MAX_VALUE) {
      return -1;
    }
    long left = next - clock.nanoTime();
    return left <= 0 ? 0 : left;
  }

  private int waitMillis() {
    long next = Math.min(deadlines.nextDeadline(), timers.nextDeadline());
    if (next == Long.MAX_VALUE) {
      return -1;
    }
    long left = next - clock.nanoTime();
    if (left <= 0) {
      return 0;
    }
    return (int) Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000);
  }

  private void ready(int slot, int ev) {
    if ((ev & (Abi.EPOLLERR | Abi.EPOLLHUP)) == 0) {
      // writable with no error pending: connected (SO_ERROR would say 0), one call saved
      connected(slot);
      return;
    }
    int s = fd[slot];
    lenVal.set(ValueLayout.JAVA_INT, 0, 4);
    int e;
    if (Sys.getsockopt(st, s, Abi.SOL_SOCKET, Abi.SO_ERROR, intVal, lenVal) != 0) {
      e = Sys.errno(st);
    } else {
      e = intVal.get(ValueLayout.JAVA_INT, 0);
    }
    if (e == 0) {
      connected(slot);
    } else {
      end(slot, Errnos.outcomeOf(e), e, CLOSE);
    }
  }

  private void expire(long now) {
    while (deadlines.size() > 0 && deadlines.nextDeadline() - now <= 0) {
      end(deadlines.peek(), Outcome.TIMEOUT, 0, RESET); // our deadline; the kernel was still trying
    }
  }

  private void drainTasks() {
    Runnable t;
    while ((t = tasks.poll()) != null) {
      try {
        t.run();
      } catch (RuntimeException | Error e) {
        LOG.log(System.Logger.Level.ERROR, "a task of the native loop failed; the loop goes on", e);
      }
    }
  }

  private void shutdown() {
    state = CLOSING;
    closeNow = true; // the ring goes away below: no SQE would be submitted any more
    drainTasks();
    for (int slot = 0; slot < used; slot++) {
      if (st8[slot] == CONNECTING) {
        end(slot, Outcome.CANCELLED, 0, RESET);
      }
    }
    for (TimerQueue.Timer t : timers.drain()) {
      if (t instanceof EventLoop.Abortable a) {
        a.abort();
      }
    }
    drainTasks();
    for (int slot = 0; slot < used; slot++) {
      if (st8[slot] == CONNECTING) { // started by an abort above
        end(slot, Outcome.CANCELLED, 0, RESET);
      }
    }
    closeSpares();
    if (ring != null) {
      drainRingCloses(); // the closes queued before the loop stopped, and those linked
      ring.close(); // cancels what the kernel still holds; its sockets go with it
    } else {
      Sys.close(epfd);
    }
    synchronized (wakeLock) {
      wakeClosed = true;
      Sys.close(efd);
    }
    state = TERMINATED;
    drainTasks();
    arena.close();
  }

  /**
   * Stops the loop: every probe in flight ends {@code cancelled} (its completion runs) and every
   * {@link EventLoop.Abortable} timer is aborted; waits up to 10 s for the thread. Idempotent.
   */
  @Override
  public void close() {
    if (state == RUNNING) {
      state = CLOSING;
      execute(() -> {});
      synchronized (wakeLock) {
        if (!wakeClosed) {
          Sys.write(efd, wakeBuf, 8);
        }
      }
    }
    if (!inLoop()) {
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ---- addresses ----

  /** Writes {@code address}:{@code port} as a sockaddr into {@code seg}; returns its length. */
  static int writeSockaddr(MemorySegment seg, InetAddress address, int port) {
    for (long i = 0; i < 28; i += 4) {
      seg.set(ValueLayout.JAVA_INT_UNALIGNED, i, 0);
    }
    byte[] raw = address.getAddress();
    if (address instanceof Inet4Address) {
      seg.set(ValueLayout.JAVA_SHORT, 0, (short) Abi.AF_INET);
      seg.set(Abi.NET_SHORT, Abi.SIN_PORT,
          (short) port);
      MemorySegment.copy(raw, 0, seg, ValueLayout.JAVA_BYTE, Abi.SIN_ADDR, 4);
      return (int) Abi.SOCKADDR_IN.byteSize();
    }
    seg.set(ValueLayout.JAVA_SHORT, 0, (short) Abi.AF_INET6);
    seg.set(Abi.NET_SHORT, Abi.SIN6_PORT,
        (short) port);
    MemorySegment.copy(raw, 0, seg, ValueLayout.JAVA_BYTE, Abi.SIN6_ADDR, 16);
    seg.set(ValueLayout.JAVA_INT, Abi.SIN6_SCOPE, ((Inet6Address) address).getScopeId());
    return (int) Abi.SOCKADDR_IN6.byteSize();
  }

  /** The address in a sockaddr, or null for another family. */
  static InetSocketAddress readSockaddr(MemorySegment seg) {
    int family = seg.get(ValueLayout.JAVA_SHORT, 0);
    try {
      if (family == Abi.AF_INET) {
        int port = Short.toUnsignedInt(seg.get(
            Abi.NET_SHORT, Abi.SIN_PORT));
        byte[] a = seg.asSlice(Abi.SIN_ADDR, 4).toArray(ValueLayout.JAVA_BYTE);
        return new InetSocketAddress(InetAddress.getByAddress(a), port);
      }
      if (family == Abi.AF_INET6) {
        int port = Short.toUnsignedInt(seg.get(
            Abi.NET_SHORT, Abi.SIN6_PORT));
        byte[] a = seg.asSlice(Abi.SIN6_ADDR, 16).toArray(ValueLayout.JAVA_BYTE);
        int scope = seg.get(ValueLayout.JAVA_INT, Abi.SIN6_SCOPE);
        InetAddress ia = scope != 0 ? Inet6Address.getByAddress(null, a, scope)
            : InetAddress.getByAddress(a);
        return new InetSocketAddress(ia, port);
      }
    } catch (java.net.UnknownHostException e) {
      return null; // cannot happen for 4 or 16 bytes
    }
    return null;
  }
}
