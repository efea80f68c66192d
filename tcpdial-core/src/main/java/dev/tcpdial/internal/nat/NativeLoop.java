package dev.tcpdial.internal.nat;

import dev.tcpdial.IcmpReport;
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
 * One thread, one kernel interface ({@link IoBackend}: {@link EpollBackend} or {@link
 * UringBackend}), and every probe it carries as a slot in primitive arrays: the socket, the
 * generation (so a stale handle or a stale event of a reused slot is ignored), the state, the start
 * time, the caller's cookie and completion, and the deadline in a {@link SlotHeap}. A pending probe
 * costs about 41 bytes of Java heap plus the kernel's socket; nothing is allocated per probe but
 * the caller's own objects.
 *
 * <p>Outcomes are values: a failed system call's errno goes through {@link Errnos#outcomeOf(int)};
 * nothing on the probe path throws. Probes that connected, timed out or were cancelled are closed
 * with {@code SO_LINGER} 0, so the kernel sends a reset and keeps no {@code TIME_WAIT} socket (the
 * far side sees a reset rather than an orderly close); a socket whose connect failed is simply
 * closed. See the package description for the contract of {@link #submit}.
 *
 * <p>This class is what both backends share: the slots, the deadline heap, the turn (tasks, timers,
 * deadlines), the socket and its options ({@link #newSocket}), the answer to a connect ({@link
 * #answered}: connected or the errno's outcome), the self-connect rule ({@link #connected}), the
 * end of a probe ({@link #end}: its completion, then its socket) and the shutdown. What differs
 * (how a connect starts, how the loop waits and reads the kernel's answers, how a socket is closed
 * or its connect stopped) is in the backend, each on a page of its own.
 */
public final class NativeLoop implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(NativeLoop.class.getName());


  /** Where a probe's end goes; runs on the loop thread, possibly inside {@link #submit}. */
  @FunctionalInterface
  public interface Completion {
    /**
     * The probe with {@code cookie} ended. {@code errno} is the kernel's errno, 0 when it gave
     * none (connected, or a deadline of ours). While this runs the probe's socket is still open:
     * {@link NativeLoop#localAddress()} reads its local address on demand, and {@link
     * NativeLoop#icmp()} says who answered a failed connect.
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
  private static final byte CONNECTING = 1; // the connect is the backend's (the kernel's)
  private static final byte ENDING = 2;
  private static final byte SETTLED = 3; // the connect is answered or not yet started: ours
  private static final int RUNNING = 0;
  private static final int CLOSING = 1;
  private static final int TERMINATED = 2;
  // what end() does with the socket
  static final int CLOSE = 0;
  static final int RESET = 1;
  static final int KEEP4 = 2; // a failed connect disconnected it: the backend may keep it
  static final int KEEP6 = 3;

  private final Options options;
  private final Clock clock;
  private final Thread thread;
  private final TimerQueue timers = new TimerQueue();
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  private final Object wakeLock = new Object();
  private volatile int state = RUNNING;
  /** Why the kernel interface stopped the loop; null while it runs, or when it was closed. */
  private volatile IoBackend.Stopped stopped;

  // native memory, loop thread only except wakeBuf (read-only after construction)
  private final Arena arena = Arena.ofShared();
  private final MemorySegment st; // captured errno
  private final MemorySegment sa; // sockaddr_in / sockaddr_in6
  private final MemorySegment peerSa; // getpeername / getsockname, to spot a self-connect
  private final MemorySegment selfSa;
  private final MemorySegment intVal;
  private final MemorySegment lenVal;
  private final MemorySegment linger0;
  private final MemorySegment wakeBuf;
  private final ErrQueue errQueue;
  private IcmpReport pendingIcmp; // who answered the connect that failed(): for the end() it calls
  private IcmpReport currentIcmp; // the same for the completion that is running
  private final MemorySegment localSa; // bound source address, or null
  private final int localLen;
  private final int localFamily;
  private final int boundPort; // the source port given with the source address; -1 for none
  private final IoBackend backend;
  private final int efd;
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
  private int completing; // completions running, one inside another
  private long socketsOpened;

  private NativeLoop(String name, Options options, Clock clock, int initialCapacity,
      Backend kind) {
    if (Sys.UNAVAILABLE != null) {
      throw new UnsupportedOperationException(Sys.UNAVAILABLE);
    }
    this.options = Objects.requireNonNull(options, "options");
    this.clock = clock;
    st = arena.allocate(Sys.STATE_SIZE);
    sa = arena.allocate(Abi.SOCKADDR_IN6);
    peerSa = arena.allocate(Abi.SOCKADDR_IN6);
    selfSa = arena.allocate(Abi.SOCKADDR_IN6);
    intVal = arena.allocate(ValueLayout.JAVA_INT);
    lenVal = arena.allocate(ValueLayout.JAVA_INT);
    linger0 = arena.allocate(Abi.LINGER);
    linger0.set(ValueLayout.JAVA_INT, 0, 1);
    linger0.set(ValueLayout.JAVA_INT, 4, 0);
    wakeBuf = arena.allocate(ValueLayout.JAVA_LONG);
    wakeBuf.set(ValueLayout.JAVA_LONG, 0, 1L);
    errQueue = new ErrQueue(arena);
    if (options.local() != null && options.local().getAddress() != null) {
      localSa = arena.allocate(Abi.SOCKADDR_IN6);
      localLen = writeSockaddr(localSa, options.local().getAddress(), options.local().getPort());
      localFamily = options.local().getAddress() instanceof Inet6Address ? Abi.AF_INET6 : Abi.AF_INET;
    } else {
      localSa = null;
      localLen = 0;
      localFamily = 0;
    }
    boundPort = options.local() != null && options.local().getPort() != 0
        ? options.local().getPort() : -1;
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
    try {
      backend = kind == Backend.URING
          ? new UringBackend(this, arena)
          : new EpollBackend(this, arena);
    } catch (StartFailed e) {
      arena.close();
      throw e;
    }
    efd = backend.wakeFd();
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

  /** The loop could not be set up: the kernel refused a ring, an epoll instance or an eventfd. */
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

  /**
   * Once per JVM, on a daemon thread of its own: calls every system call of the probe path once on a
   * socket that never connects (and an epoll instance and an eventfd of its own), so the first real
   * probe does not pay for the first invocation of each downcall. Sends nothing.
   */
  public static void warmUpInBackground() {
    WarmUp.inBackground();
  }

  /** The same warm-up on the calling thread; waits for one already running. Sends nothing. */
  public static void warmUpNow() {
    WarmUp.now();
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
    return backend.kind();
  }


  /**
   * Null when io_uring can carry this engine's probes here, else why not, in one line: asks the
   * kernel each time (a ring of 8 entries, set up, probed for the opcodes, entered once, closed:
   * about 50 us), since {@code kernel.io_uring_disabled} may change.
   */
  public static String uringUnavailable() {
    Refusal r = uringRefusal();
    return r == null ? null : r.why();
  }

  /**
   * Why io_uring cannot carry probes here: the errno of the call the kernel refused (0 where none
   * did, e.g. an opcode missing) and the line {@link #uringUnavailable()} gives.
   */
  public record Refusal(int errno, String why) {}

  /** {@link #uringUnavailable()} with the errno; null when io_uring can carry probes here. */
  public static Refusal uringRefusal() {
    String why = unavailable();
    if (why != null) {
      return new Refusal(0, why);
    }
    try (Arena a = Arena.ofConfined()) {
      Ring.check(a);
      return null;
    } catch (Ring.Refused r) {
      return new Refusal(r.errno, r.getMessage());
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
   * Runs {@code task} on the loop thread after the backend's next wait, so that what is ready is
   * seen first: for work that must not starve the sockets it feeds. Loop thread only.
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
      endUnrun(slot, CLOSE);
      return -1;
    }
    long handle = open(slot, family, len, sa);
    if (handle >= 0 && deadlineNanos != Long.MAX_VALUE) {
      deadlines.schedule(slot, deadlineNanos);
    }
    return handle;
  }

  /**
   * Hands the slot's connect to the backend: the handle, or -1 when the probe ended. The slot is
   * {@code CONNECTING} only while the backend holds its connect.
   */
  private long open(int slot, int family, int len, MemorySegment to) {
    st8[slot] = SETTLED;
    long handle = backend.connect(slot, family, len, to);
    if (handle >= 0) {
      st8[slot] = CONNECTING;
    }
    return handle;
  }

  /**
   * The backend's answer to the slot's connect: {@code errno} 0 (connected, unless to itself) or
   * the errno it failed with.
   */
  void answered(int slot, int errno) {
    st8[slot] = SETTLED;
    if (errno == 0) {
      connected(slot);
    } else {
      failed(slot, errno, CLOSE);
    }
  }

  /**
   * The slot's connect failed with {@code errno} after packets left (the kernel's answer): who
   * answered is read from the socket's error queue, for {@link #icmp()}, and the probe ends.
   */
  void failed(int slot, int errno, int disposal) {
    pendingIcmp = fd[slot] >= 0 ? errQueue.read(fd[slot], errno) : null;
    end(slot, Errnos.outcomeOf(errno), errno, disposal);
  }

  /**
   * The slot's {@code connect(2)} call itself failed with {@code errno}, before a packet left: a
   * local route or rule decided ({@link IcmpReport#local()}); no queue to read.
   */
  void refusedAtOnce(int slot, int errno) {
    pendingIcmp = ErrQueue.refusedAtOnce(errno);
    end(slot, Errnos.outcomeOf(errno), errno, CLOSE);
  }

  /**
   * A TCP socket of {@code family} ({@code SOCK_CLOEXEC} and {@code flags}) with the loop's options,
   * put in the slot; -1 when a call failed and the probe ended.
   */
  int newSocket(int slot, int family, int flags) {
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

  /**
   * The slot's socket connected, unless it connected to itself: a connect to a local port in the
   * ephemeral range with nothing listening can be given that very port as its source and complete
   * by simultaneous open (RFC 793), as can a socket bound to a source port of its own that dials
   * that very port. As Go's net package does, such a connection is closed and the connect tried
   * again from another port, at most twice (not at all from a port of its own), after which the
   * probe ends {@code refused} with no errno: nothing listens there. The handle, or -1 when the
   * probe ended.
   */
  long connected(int slot) {
    int p = port[slot];
    boolean canBeItself = (p >= EPHEMERAL_LO && p <= EPHEMERAL_HI) || p == boundPort;
    if (!canBeItself || !selfConnected(slot)) {
      end(slot, Outcome.CONNECTED, 0, RESET);
      return -1;
    }
    if (tries[slot] >= 2 || p == boundPort) { // only ourselves (again): nothing listens there
      end(slot, Outcome.REFUSED, 0, RESET);
      return -1;
    }
    tries[slot]++;
    int family = peerSa.get(ValueLayout.JAVA_SHORT, 0);
    int len = family == Abi.AF_INET ? 16 : (int) Abi.SOCKADDR_IN6.byteSize();
    closeSocket(slot, fd[slot], true);
    fd[slot] = -1;
    return open(slot, family, len, peerSa);
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

  // The ports the kernel picks sources from (net.ipv4.ip_local_port_range, this network
  // namespace's): a connect can meet itself only on one of them, or on the port of a source
  // address given with one.
  private static final int EPHEMERAL_LO;
  private static final int EPHEMERAL_HI;

  static {
    int[] r = ephemeralRange(java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
    EPHEMERAL_LO = r[0];
    EPHEMERAL_HI = r[1];
  }

  /**
   * {@code {low, high}} from a file in the form of {@code ip_local_port_range}; {@code {1, 65535}}
   * (every port checked) when it cannot be read. Read in one piece: a sysctl file answers only a
   * read at offset 0, so a reader that takes one byte first ({@code Files.readString} on a file
   * whose size says 0) gets {@code "3"} of {@code "32768 60999"}.
   */
  static int[] ephemeralRange(java.nio.file.Path file) {
    try {
      String[] r = java.nio.file.Files.readAllLines(file).get(0).trim().split("\\s+");
      int lo = Integer.parseInt(r[0]);
      int hi = Integer.parseInt(r[1]);
      if (lo >= 1 && lo <= hi && hi <= 65535) {
        return new int[] {lo, hi};
      }
    } catch (java.io.IOException | RuntimeException e) {
      // below: unknown range
    }
    return new int[] {1, 65535};
  }

  /** {@link #ephemeralRange} of this process's network namespace, read when the class loaded. */
  static int[] ephemeralRange() {
    return new int[] {EPHEMERAL_LO, EPHEMERAL_HI};
  }

  // Failures before the connect are about this machine: EINVAL there is a plain error.
  static Outcome setupOutcome(int errno) {
    return errno == 22 ? Outcome.ERROR : Errnos.outcomeOf(errno);
  }

  /** Socket options and the source address; 0 or the errno of the first that failed. */
  private int configure(int s, int family) {
    int e = errQueue.enable(s, family);
    if (e != 0) {
      return e;
    }
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
    if (!awaited(handle)) {
      return false;
    }
    int slot = (int) handle;
    deadlines.remove(slot);
    stopConnect(slot);
    closeSocket(slot, fd[slot], true);
    release(slot);
    return true;
  }

  /**
   * Who answered the failed connect of the probe whose completion is running ({@link
   * IcmpReport}), or null: none asked for at another time, no ICMP error or local decision behind
   * the failure, or the probe did not fail. No system call: read before the completion ran.
   */
  public IcmpReport icmp() {
    return current < 0 ? null : currentIcmp;
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
    gen[slot] = (gen[slot] + 1) & 0x3fff_ffff; // handles stay non-negative: clear of the CHECK bit
    cookie[slot] = freeHead;
    freeHead = slot;
    pending--;
  }

  /** The slot's connect ended on our side while the backend held it: the backend lets go. */
  private void stopConnect(int slot) {
    if (st8[slot] == CONNECTING) {
      backend.stopConnect(slot);
    }
  }

  /** Calls the completion with the socket still open, then closes it and frees the slot. */
  void end(int slot, Outcome outcome, int errno, int disposal) {
    deadlines.remove(slot);
    stopConnect(slot);
    st8[slot] = ENDING;
    Completion c = handler[slot];
    int prev = current;
    IcmpReport prevIcmp = currentIcmp;
    currentIcmp = pendingIcmp;
    pendingIcmp = null;
    current = slot;
    completing++;
    try {
      c.completed(cookie[slot], outcome, errno, clock.nanoTime() - start[slot]);
    } catch (RuntimeException | Error e) {
      // a completion must not end the loop; it is our own code, so this is a bug worth showing
      showCompletionFailure(e);
    } finally {
      completing--;
      current = prev;
      currentIcmp = prevIcmp;
      if (selfSaSlot == slot) {
        selfSaSlot = -1;
      }
    }
    int s = fd[slot];
    if (s < 0 || disposal < KEEP4 || !backend.keep(s, disposal)) {
      closeSocket(slot, s, disposal == RESET);
    }
    release(slot);
  }

  /**
   * Logs a completion's failure, and never fails itself: out of descriptors, logging can throw
   * (the logger's first use loads time-zone data from a file), and a throw here would end the
   * loop with every pending probe unanswered.
   */
  @SuppressWarnings("CatchAndPrintStackTrace")
  private static void showCompletionFailure(Throwable e) {
    try {
      LOG.log(System.Logger.Level.ERROR, "a probe's completion failed; the loop goes on", e);
    } catch (RuntimeException | Error logFailed) {
      e.addSuppressed(logFailed);
      e.printStackTrace(); // the logger failed: standard error, which needs no descriptor
    }
  }

  private void closeSocket(int slot, int s, boolean reset) {
    if (s >= 0) {
      backend.close(slot, s, reset && options.resetOnClose());
    }
  }

  // ---- for the backends, loop thread only ----

  /** The handle of the slot's probe: its generation and its number. */
  long handle(int slot) {
    return ((long) gen[slot] << 32) | slot;
  }

  /**
   * True when {@code handle} names a probe whose connect the backend holds: an answer for any
   * other (a slot cancelled or ended earlier, or reused since) is stale.
   */
  boolean awaited(long handle) {
    int slot = (int) handle;
    return handle >= 0 && slot < used && gen[slot] == (int) (handle >>> 32)
        && st8[slot] == CONNECTING;
  }

  int socket(int slot) {
    return fd[slot];
  }

  void socket(int slot, int s) {
    fd[slot] = s;
  }

  /** Completions running, one inside another. */
  int completing() {
    return completing;
  }

  /** True when the probes have a source address. */
  boolean bound() {
    return localSa != null;
  }

  /** The backend read the eventfd: the next {@link #execute} from another thread writes again. */
  void woken() {
    wakeupPending.set(false);
  }

  /** {@code SO_LINGER} 0 on {@code s}, so that its close sends a reset. */
  void lingerZero(int s) {
    Sys.setsockopt(st, s, Abi.SOL_SOCKET, Abi.SO_LINGER, linger0, (int) Abi.LINGER.byteSize());
  }

  /** The address of a {@code struct linger} of 0 seconds, for the ring to set. */
  long lingerZeroAddress() {
    return linger0.address();
  }

  /** The socket's pending error ({@code SO_ERROR}), or the errno of the getsockopt call. */
  int soError(int s) {
    lenVal.set(ValueLayout.JAVA_INT, 0, 4);
    if (Sys.getsockopt(st, s, Abi.SOL_SOCKET, Abi.SO_ERROR, intVal, lenVal) != 0) {
      return Sys.errno(st);
    }
    return intVal.get(ValueLayout.JAVA_INT, 0);
  }

  // ---- the loop ----

  /**
   * One turn: the backend waits (not at all when tasks wait) and hands in what the kernel
   * answered; then the tasks of this turn, the deadlines that passed, the timers.
   */
  private void run() {
    try {
      IoBackend.Stopped why = backend.begin();
      if (why != null) {
        stopBy(why);
        return;
      }
      while (state == RUNNING) {
        long timeout = tasks.isEmpty() && nextTurn.isEmpty() ? waitNanos() : 0;
        why = backend.await(timeout);
        if (why != null) {
          stopBy(why);
          break;
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
      }
    } finally {
      shutdown();
    }
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

  /**
   * The kernel interface failed: the loop stops, and its probes, those in flight and any submitted
   * from now on, end {@code error} with the failed call's errno instead of {@code cancelled}.
   */
  private void stopBy(IoBackend.Stopped why) {
    stopped = why;
    try {
      LOG.log(System.Logger.Level.ERROR, "the native loop stopped: " + why.why());
    } catch (RuntimeException | Error logFailed) {
      System.err.println("tcpdial: the native loop stopped: " + why.why());
    }
  }

  /**
   * Null while the loop runs or when it was closed; else why the kernel interface stopped it
   * ({@code "the native loop stopped: io_uring_enter: EPERM(1)"}), and a new loop is needed.
   */
  public String stopReason() {
    IoBackend.Stopped s = stopped;
    return s == null ? null : "the native loop stopped: " + s.why();
  }

  /** The errno of {@link #stopReason()}'s call; 0 while the loop runs or when it was closed. */
  public int stopErrno() {
    IoBackend.Stopped s = stopped;
    return s == null ? 0 : s.errno();
  }

  /** A probe the loop will not run: cancelled, or an error with the errno that stopped the loop. */
  private void endUnrun(int slot, int disposal) {
    IoBackend.Stopped s = stopped;
    if (s == null) {
      end(slot, Outcome.CANCELLED, 0, disposal);
    } else {
      end(slot, Outcome.ERROR, s.errno(), disposal);
    }
  }

  private void shutdown() {
    state = CLOSING;
    backend.stopping();
    drainTasks();
    for (int slot = 0; slot < used; slot++) {
      if (st8[slot] == CONNECTING) {
        endUnrun(slot, RESET);
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
        endUnrun(slot, RESET);
      }
    }
    backend.close();
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
