package dev.tcpdial.internal.nat;

import dev.tcpdial.Errno;
import dev.tcpdial.IcmpReport;
import dev.tcpdial.Outcome;
import dev.tcpdial.Target;
import dev.tcpdial.Trace;
import dev.tcpdial.Trace.Answer;
import dev.tcpdial.Trace.Hop;
import dev.tcpdial.Trace.Probe;
import dev.tcpdial.Trace.Verdict;
import dev.tcpdial.internal.Clock;
import dev.tcpdial.internal.Errnos;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * One path trace to one address ({@link Trace}): probes with TTL 1, 2, ... on one flow, one after
 * another, on plain system calls ({@code socket}, {@code setsockopt}, {@code bind}, {@code
 * connect}, {@code poll}, {@code recvmsg(MSG_ERRQUEUE)}) on the calling thread, which it blocks
 * for the whole trace (in slices of at most 100 ms, so that a cancel is seen). The walk and the
 * verdict are described on {@link Trace}; every probe's socket is closed before the next opens.
 */
public final class PathTrace {
  /** Linux's initial SYN retransmission timeout: a probe waiting this long has sent two SYNs. */
  private static final long RTO_NANOS = 1_000_000_000L;
  private static final int SLICE_MS = 100;
  private static final int IPV6_AUTOFLOWLABEL = 70;
  private static final int EADDRINUSE = 98;

  private final Target target;
  private final InetSocketAddress remote;
  private final InetAddress bindAddress; // the dialer's source address, or null
  private final Trace.Options options;
  private final Clock clock;
  private final long startNanos;
  private final BooleanSupplier cancelled;
  private final boolean v6;
  private final int family;
  private final long hopTimeoutNanos;

  private MemorySegment st;
  private MemorySegment dest;
  private int destLen;
  private MemorySegment bindSa;
  private MemorySegment pollFd;
  private MemorySegment intVal;
  private MemorySegment lenVal;
  private MemorySegment linger0;
  private MemorySegment self;
  private ErrQueue errQueue;

  private InetAddress flowAddress; // the source address and port of the first probe
  private int flowPort;
  private int syns;
  private long lastSend;
  private boolean anySent;
  private String stopped; // why the trace stopped before a verdict, or null
  private int kept = -1; // the socket of the last probe, when its failed connect left it reusable

  private PathTrace(Target target, InetSocketAddress remote, InetSocketAddress local,
      Trace.Options options, Clock clock, long startNanos, BooleanSupplier cancelled) {
    this.target = target;
    this.remote = remote;
    this.bindAddress = local == null ? null : local.getAddress();
    this.flowPort = options.sourcePort() != 0 ? options.sourcePort()
        : local != null ? local.getPort() : 0;
    this.options = options;
    this.clock = clock;
    this.startNanos = startNanos;
    this.cancelled = cancelled;
    this.v6 = remote.getAddress() instanceof Inet6Address;
    this.family = v6 ? Abi.AF_INET6 : Abi.AF_INET;
    this.hopTimeoutNanos = options.hopTimeout().toNanos();
  }

  /** Null when traces can run here, else why not, in one line. */
  public static String unavailable() {
    return NativeLoop.unavailable();
  }

  /**
   * Traces the path to {@code remote} ({@code local}: the dialer's source address and port, or
   * null); {@code startNanos} is the trace's start on {@code clock} (resolution included); {@code
   * cancelled} is asked between probes and while one waits. Never throws for a network outcome.
   */
  public static Trace run(Target target, InetSocketAddress remote, InetSocketAddress local,
      Trace.Options options, Clock clock, long startNanos, BooleanSupplier cancelled) {
    String why = unavailable();
    if (why == null) {
      NativeLoop.warmUpNow(); // once per JVM: the first probe's time is then the network's
    }
    if (why != null) {
      return notTraced(target, remote, Outcome.ERROR, Duration.ofNanos(clock.nanoTime()
          - startNanos), "a path trace needs the native engine: " + why);
    }
    if (bindAddressFamilyDiffers(local, remote)) {
      return notTraced(target, remote, Outcome.NO_LOCAL_ADDRESS, Duration.ofNanos(
          clock.nanoTime() - startNanos), "the source address " + local.getAddress()
          + " is of the other family");
    }
    PathTrace t = new PathTrace(target, remote, local, options, clock, startNanos, cancelled);
    try (Arena arena = Arena.ofConfined()) {
      t.allocate(arena);
      return t.walk();
    } finally {
      if (t.kept >= 0) {
        Sys.close(t.kept);
      }
    }
  }

  private static boolean bindAddressFamilyDiffers(InetSocketAddress local,
      InetSocketAddress remote) {
    return local != null && local.getAddress() != null && !local.getAddress().isAnyLocalAddress()
        && (local.getAddress() instanceof Inet6Address) != (remote.getAddress()
            instanceof Inet6Address);
  }

  /** A trace that did not run: the name did not resolve, or traces cannot run here. */
  public static Trace notTraced(Target target, InetSocketAddress remote, Outcome outcome,
      Duration elapsed, String detail) {
    return new Trace(target, remote, null, List.of(), null,
        new Verdict(Verdict.Kind.NOT_TRACED, 0, null, null, outcome, null, null), elapsed, detail);
  }

  private void allocate(Arena arena) {
    st = arena.allocate(Sys.STATE_SIZE);
    dest = arena.allocate(Abi.SOCKADDR_IN6);
    destLen = NativeLoop.writeSockaddr(dest, remote.getAddress(), remote.getPort());
    bindSa = arena.allocate(Abi.SOCKADDR_IN6);
    pollFd = arena.allocate(8, 4); // struct pollfd: int fd, short events, short revents
    intVal = arena.allocate(ValueLayout.JAVA_INT);
    lenVal = arena.allocate(ValueLayout.JAVA_INT);
    linger0 = arena.allocate(Abi.LINGER);
    linger0.set(ValueLayout.JAVA_INT, 0, 1);
    linger0.set(ValueLayout.JAVA_INT, 4, 0);
    self = arena.allocate(Abi.SOCKADDR_IN6);
    errQueue = new ErrQueue(arena);
  }

  // ---- the walk ----

  private Trace walk() {
    List<Hop> hops = new ArrayList<>();
    Map<InetAddress, Integer> hopOf = new HashMap<>(); // where each router's address first answered
    Probe reach = null;
    boolean answersBeyond = false; // the reachability probe was answered: silence is routers'
    boolean silentEnd = false; // it was not: the SYN dies somewhere, look for the last answer
    int gap = 0; // silent hops in a row
    Verdict verdict = null;
    for (int ttl = options.firstHop(); ttl <= options.maxHops() && verdict == null
        && stopped == null; ttl++) {
      List<Probe> probes = new ArrayList<>();
      for (int i = 0; i < options.probesPerHop() && affordable(); i++) {
        Probe p = probe(ttl, i);
        if (p == null) {
          break; // cancelled
        }
        probes.add(p);
        if (p.answer() != Answer.TIME_EXCEEDED && !p.answer().fromTarget()) {
          break; // silent (the hop's time is spent), refused, local, or an error
        }
      }
      if (probes.isEmpty()) {
        if (stopped == null) {
          stopped = cancelled.getAsBoolean() ? "cancelled" : "the SYN budget ("
              + options.synBudget() + ") is spent";
        }
        break;
      }
      Hop hop = new Hop(ttl, probes);
      hops.add(hop);
      for (Probe p : probes) {
        if (p.answer() == Answer.TIME_EXCEEDED && p.from() != null) {
          hopOf.putIfAbsent(p.from(), ttl);
        }
      }
      gap = hop.silent() ? gap + 1 : 0;
      verdict = decide(hop, hopOf);
      if (verdict == null) {
        verdict = loop(hops);
      }
      if (verdict == null && hop.silent() && reach == null && ttl < options.maxHops()
          && stopped == null) {
        if (affordable()) {
          reach = probe(options.maxHops(), 0);
        }
        if (reach != null) {
          switch (reach.answer()) {
            case SILENT -> silentEnd = true;
            case LOCAL, ERROR ->
                verdict = decide(new Hop(options.maxHops(), List.of(reach)), hopOf);
            default -> answersBeyond = true; // the target, a refusal or a router further on
          }
        }
      }
      if (verdict == null && silentEnd && gap >= options.gapLimit()) {
        verdict = dropped(hops);
      }
    }
    if (verdict == null) {
      verdict = unfinished(hops, reach, answersBeyond, silentEnd, hopOf);
    }
    return new Trace(target, remote, flowAddress == null ? null
        : new InetSocketAddress(flowAddress, flowPort), hops, reach, verdict,
        Duration.ofNanos(clock.nanoTime() - startNanos), stopped);
  }

  /** The verdict a hop gives, or null to go on. */
  private Verdict decide(Hop hop, Map<InetAddress, Integer> hopOf) {
    Probe target = null;
    for (Probe p : hop.probes()) {
      if (p.answer() == Answer.CONNECTED || (p.answer() == Answer.RESET && target == null)) {
        target = p;
      }
    }
    if (target != null) {
      return new Verdict(Verdict.Kind.REACHED, hop.ttl(), remote.getAddress(), bestFrom(hop,
          remote.getAddress()), target.outcome(), target.errno(), null);
    }
    for (Probe p : hop.probes()) {
      switch (p.answer()) {
        case UNREACHABLE -> {
          return refused(p, hop.ttl(), hopOf, hop);
        }
        case LOCAL -> {
          return new Verdict(Verdict.Kind.LOCAL, 0, p.from(), null, p.outcome(), p.errno(),
              p.icmp());
        }
        case ERROR -> stopped = p.outcome().label() + (p.errno() != null ? " " + p.errno().name()
            : "") + " at hop " + hop.ttl() + (stopped != null ? ": " + stopped : "");
        default -> {
          // time-exceeded or silent: the walk goes on
        }
      }
    }
    return null;
  }

  /**
   * An ICMP error other than time-exceeded: from the target itself it reached the target; from
   * any other node, that node refused it, at the hop where its address answered time-exceeded
   * (a firewall rule in a router's forward path lets the router answer for its own hop first),
   * else at the TTL of the probe that got it.
   */
  private Verdict refused(Probe p, int ttl, Map<InetAddress, Integer> hopOf, Hop hop) {
    if (remote.getAddress().equals(p.from())) {
      return new Verdict(Verdict.Kind.REACHED, ttl, p.from(), bestFrom(hop, p.from()), p.outcome(),
          p.errno(), p.icmp());
    }
    int at = p.from() != null ? hopOf.getOrDefault(p.from(), ttl) : ttl;
    return new Verdict(Verdict.Kind.REFUSED, at, p.from(), p.rtt(), p.outcome(), p.errno(),
        p.icmp());
  }

  private static Duration bestFrom(Hop hop, InetAddress from) {
    Duration best = null;
    for (Probe p : hop.probes()) {
      if (p.answered() && from.equals(p.from()) && (best == null || p.rtt().compareTo(best) < 0)) {
        best = p.rtt();
      }
    }
    return best;
  }

  /** Nothing answers past the last hop that did: the SYN dies there. */
  private Verdict dropped(List<Hop> hops) {
    Hop last = null;
    for (Hop h : hops) {
      if (!h.silent()) {
        last = h;
      }
    }
    if (last == null) {
      return new Verdict(Verdict.Kind.DROPPED, 0, null, null, Outcome.TIMEOUT, null, null);
    }
    InetAddress a = last.addresses().getFirst();
    return new Verdict(Verdict.Kind.DROPPED, last.ttl(), a, bestFrom(last, a), Outcome.TIMEOUT,
        null, null);
  }

  /** The walk ended without a verdict: the largest TTL, a budget, a cancel or an error. */
  private Verdict unfinished(List<Hop> hops, Probe reach, boolean answersBeyond,
      boolean silentEnd, Map<InetAddress, Integer> hopOf) {
    if (reach != null && reach.answer() == Answer.UNREACHABLE) {
      Hop h = new Hop(options.maxHops(), List.of(reach));
      return refused(reach, options.maxHops(), hopOf, h);
    }
    if (stopped != null && stopped.equals("cancelled") && lastAnswering(hops) == null) {
      return new Verdict(Verdict.Kind.NOT_TRACED, 0, null, null, Outcome.CANCELLED, null, null);
    }
    if ((silentEnd || !answersBeyond) && !hops.isEmpty() && hops.getLast().silent()
        && stopped == null) {
      return dropped(hops);
    }
    Hop last = lastAnswering(hops);
    Probe tail = reach != null ? reach : hops.isEmpty() ? null : hops.getLast().probes().getLast();
    Outcome outcome = "cancelled".equals(stopped) ? Outcome.CANCELLED
        : tail == null ? Outcome.ERROR : tail.outcome();
    Errno errno = tail == null ? null : tail.errno();
    IcmpReport icmp = tail == null ? null : tail.icmp();
    if (last == null) {
      return new Verdict(Verdict.Kind.INCOMPLETE, 0, null, null, outcome, errno, icmp);
    }
    InetAddress a = last.addresses().getFirst();
    return new Verdict(Verdict.Kind.INCOMPLETE, last.ttl(), a, bestFrom(last, a), outcome, errno,
        icmp);
  }

  /**
   * A routing loop: the newest hop's address answered at an earlier hop that is not the one
   * before it (a router answering for two hops in a row is a slow path, not a loop). The trace
   * ends there: every further TTL would only go round again.
   */
  private static Verdict loop(List<Hop> hops) {
    Hop last = hops.getLast();
    if (last.silent()) {
      return null;
    }
    InetAddress a = last.addresses().getFirst();
    for (int i = hops.size() - 3; i >= 0; i--) {
      Hop h = hops.get(i);
      if (!h.silent() && h.addresses().getFirst().equals(a)) {
        return new Verdict(Verdict.Kind.LOOP, h.ttl(), a, bestFrom(h, a),
            Outcome.HOST_UNREACHABLE, Errno.EHOSTUNREACH, last.probes().getLast().icmp());
      }
    }
    return null;
  }

  private static Hop lastAnswering(List<Hop> hops) {
    Hop last = null;
    for (Hop h : hops) {
      if (!h.silent()) {
        last = h;
      }
    }
    return last;
  }

  /**
   * True when one more probe fits the SYN budget: one SYN, or two when it may wait past the
   * kernel's first retransmission.
   */
  private boolean affordable() {
    int cost = hopTimeoutNanos >= RTO_NANOS ? 2 : 1;
    if (syns + cost > options.synBudget()) {
      return false;
    }
    return !cancelled.getAsBoolean();
  }

  // ---- one probe ----

  /** One probe with {@code ttl}, waiting up to the hop timeout; null when cancelled. */
  private Probe probe(int ttl, int index) {
    pace();
    int s = kept;
    kept = -1;
    boolean fresh = s < 0;
    // a socket bound to port 0 gets its port back on the kernel's disconnect (no
    // SOCK_BINDPORT_LOCK): only one bound to the flow's port by number may carry the next probe
    boolean portLocked = !fresh || flowPort != 0;
    if (fresh) {
      s = Sys.socket(st, family, Abi.SOCK_STREAM | Abi.SOCK_NONBLOCK | Abi.SOCK_CLOEXEC, 0);
    }
    long sent = clock.nanoTime();
    if (s < 0) {
      return error(ttl, index, sent, Sys.errno(st));
    }
    boolean reset = false;
    boolean keep = false;
    try {
      int e = fresh ? configure(s, ttl) : setTtl(s, ttl);
      if (e != 0) {
        if (e == EADDRINUSE && anySent) {
          stopped = "the flow's source port " + flowPort + " was taken by another socket";
        }
        return error(ttl, index, sent, e);
      }
      sent = clock.nanoTime();
      lastSend = sent;
      anySent = true;
      syns++;
      int err = Sys.connect(st, s, dest, destLen) == 0 ? 0 : Sys.errno(st);
      if (flowAddress == null && (err == 0 || err == Abi.EINPROGRESS)) {
        learnFlow(s);
      }
      if (err != 0 && err != Abi.EINPROGRESS) {
        IcmpReport local = ErrQueue.refusedAtOnce(err);
        return local != null
            ? probe(ttl, index, Answer.LOCAL, null, 0, sent, Errnos.outcomeOf(err), err, local)
            : error(ttl, index, sent, err);
      }
      if (err == Abi.EINPROGRESS) {
        err = await(s, sent + hopTimeoutNanos);
        if (err == Integer.MIN_VALUE) {
          reset = true;
          return null; // cancelled
        }
      }
      long took = clock.nanoTime() - sent;
      if (took >= RTO_NANOS) {
        syns++; // the kernel sent the SYN again after its initial retransmission timeout
      }
      if (err == -1) {
        reset = true;
        return probe(ttl, index, Answer.SILENT, null, took, sent, Outcome.TIMEOUT, 0, null);
      }
      if (err == 0) {
        reset = true; // a reset, not a FIN: no TIME_WAIT holds the flow's four-tuple
        return probe(ttl, index, Answer.CONNECTED, remote.getAddress(), took, sent,
            Outcome.CONNECTED, 0, null);
      }
      IcmpReport icmp = errQueue.read(s, err, flowAddress);
      keep = portLocked; // disconnected, its error queue read: ready for the next probe
      Outcome outcome = Errnos.outcomeOf(err);
      if (icmp == null) {
        return err == 111
            ? probe(ttl, index, Answer.RESET, remote.getAddress(), took, sent, outcome, err, null)
            : probe(ttl, index, Answer.ERROR, null, took, sent, outcome, err, null);
      }
      Answer a = switch (icmp.origin()) {
        case ICMP -> icmp.timeExceeded() ? Answer.TIME_EXCEEDED : Answer.UNREACHABLE;
        case LOCAL -> Answer.LOCAL;
        case UNREAD -> Answer.ERROR;
      };
      return probe(ttl, index, a, icmp.from(), took, sent, outcome, err, icmp);
    } finally {
      if (keep) {
        kept = s;
      } else {
        if (reset) {
          Sys.setsockopt(st, s, Abi.SOL_SOCKET, Abi.SO_LINGER, linger0,
              (int) Abi.LINGER.byteSize());
        }
        Sys.close(s);
      }
    }
  }

  private int setTtl(int s, int ttl) {
    return setInt(s, v6 ? Abi.IPPROTO_IPV6 : Abi.IPPROTO_IP, v6 ? Abi.IPV6_UNICAST_HOPS
        : Abi.IP_TTL, ttl) == 0 ? 0 : Sys.errno(st);
  }

  private Probe probe(int ttl, int index, Answer answer, InetAddress from, long tookNanos,
      long sentNanos, Outcome outcome, int errno, IcmpReport icmp) {
    return new Probe(ttl, index, answer, from, Duration.ofNanos(tookNanos),
        Duration.ofNanos(sentNanos - startNanos), outcome, errno == 0 ? null : Errno.of(errno),
        icmp);
  }

  private Probe error(int ttl, int index, long sentNanos, int errno) {
    return probe(ttl, index, Answer.ERROR, null, 0, sentNanos,
        NativeLoop.setupOutcome(errno), errno, null);
  }

  /**
   * The socket's options and its source: the error queue, the TTL, one SYN retransmission at
   * most (where a probe may wait that long), IPv6 flow label 0 (Linux gives each socket a label of its own, and routers may hash on
   * it), {@code SO_REUSEADDR} and the flow's address and port. 0 or the errno.
   */
  private int configure(int s, int ttl) {
    int e = errQueue.enable(s, family);
    if (e != 0) {
      return e;
    }
    if (setTtl(s, ttl) != 0 || (hopTimeoutNanos >= RTO_NANOS
            && setInt(s, Abi.IPPROTO_TCP, Abi.TCP_SYNCNT, 1) != 0)
        || setInt(s, Abi.SOL_SOCKET, Abi.SO_REUSEADDR, 1) != 0) {
      return Sys.errno(st);
    }
    if (v6) {
      setInt(s, Abi.IPPROTO_IPV6, IPV6_AUTOFLOWLABEL, 0); // older kernels: their label, as before
    }
    // the first probe binds port 0 (or the one asked for): the kernel picks a free port now
    InetAddress a = flowAddress != null ? flowAddress : bindAddress != null ? bindAddress
        : anyAddress();
    int len = NativeLoop.writeSockaddr(bindSa, a, flowPort);
    return Sys.bind(st, s, bindSa, len) == 0 ? 0 : Sys.errno(st);
  }

  private InetAddress anyAddress() {
    try {
      return InetAddress.getByAddress(new byte[v6 ? 16 : 4]);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** The first probe's source address and port: every later probe binds them. */
  private void learnFlow(int s) {
    lenVal.set(ValueLayout.JAVA_INT, 0, (int) Abi.SOCKADDR_IN6.byteSize());
    if (Sys.getsockname(st, s, self, lenVal) == 0) {
      InetSocketAddress me = NativeLoop.readSockaddr(self);
      if (me != null) {
        flowAddress = me.getAddress();
        flowPort = me.getPort();
      }
    }
  }

  /**
   * Waits for the connect's answer until {@code deadline}: 0 (connected) or the errno; -1 when
   * nothing came; {@link Integer#MIN_VALUE} when cancelled. The answer is read with a second
   * {@code connect}, as the epoll backend does: it returns the pending error and, on Linux, puts
   * the socket back to unconnected (the kernel's own disconnect, the bound address and port
   * kept), so the next probe of the flow takes the same socket with another TTL instead of
   * socket, options, bind and close: six system calls a probe fewer. The kernel gives every
   * connect of it a new initial sequence number, as it would a new socket.
   */
  private int await(int s, long deadline) {
    while (true) {
      long left = deadline - clock.nanoTime();
      if (left <= 0) {
        return -1;
      }
      if (cancelled.getAsBoolean()) {
        return Integer.MIN_VALUE;
      }
      int ms = (int) Math.min(SLICE_MS, (left + 999_999) / 1_000_000);
      pollFd.set(ValueLayout.JAVA_INT, 0, s);
      pollFd.set(ValueLayout.JAVA_SHORT, 4, Abi.POLLOUT);
      pollFd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
      int n = Sys.poll(st, pollFd, 1, ms);
      if (n > 0) {
        if (Sys.connect(st, s, dest, destLen) == 0) {
          return 0;
        }
        int e = Sys.errno(st);
        if (e == Abi.EISCONN) {
          return 0;
        }
        if (e != Abi.EALREADY) {
          return e;
        }
        // Still connecting, yet poll woke: an ICMP error came while connect() held the socket
        // (on a veth the whole path runs inside that call), and Linux keeps it as a soft error
        // (TcpExtLockDroppedIcmps) with the connect going on to its retransmission; it queued the
        // error all the same, which is what woke poll. SO_ERROR gives the soft error, and a
        // disconnect (connect AF_UNSPEC) ends the connect as the error would have.
        int soft = softError(s);
        if (soft != 0) {
          disconnect(s);
          return soft;
        }
      }
      if (n < 0 && Sys.errno(st) != Abi.EINTR) {
        return Sys.errno(st);
      }
    }
  }

  /** {@code SO_ERROR}: the pending error, or the soft one when there is none. */
  private int softError(int s) {
    lenVal.set(ValueLayout.JAVA_INT, 0, 4);
    if (Sys.getsockopt(st, s, Abi.SOL_SOCKET, Abi.SO_ERROR, intVal, lenVal) != 0) {
      return Sys.errno(st);
    }
    return intVal.get(ValueLayout.JAVA_INT, 0);
  }

  /** {@code connect(AF_UNSPEC)}: the kernel's disconnect; a bound address and port stay. */
  private void disconnect(int s) {
    self.fill((byte) 0); // sa_family 0: AF_UNSPEC
    Sys.connect(st, s, self, 16);
  }

  private int setInt(int s, int level, int name, int value) {
    intVal.set(ValueLayout.JAVA_INT, 0, value);
    return Sys.setsockopt(st, s, level, name, intVal, 4);
  }

  /** Waits until the next SYN may leave under {@link Trace.Options#rate()}. */
  private void pace() {
    if (options.rate() <= 0 || !anySent) {
      return;
    }
    long gap = (long) (1e9 / options.rate());
    long wait = lastSend + gap - clock.nanoTime();
    if (wait > 0) {
      try {
        Thread.sleep(Duration.ofNanos(wait));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
