package dev.tcpdial.cli.targets;

import dev.tcpdial.Family;
import dev.tcpdial.PortState;
import dev.tcpdial.Target;
import dev.tcpdial.cli.process.UsageException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The targets of a scan, as a stream: {@code host:port}, hosts, CIDR blocks and address ranges
 * with the ports of {@code -p}, each with an optional {@code =open|closed|filtered} expectation;
 * de-duplicated, in first-seen order, made one at a time as the scan takes them.
 *
 * <p>What is held: the specifications not yet expanded (the arguments; a file or stdin is read a
 * line at a time by its {@link LineSource}), and for de-duplication one slot per distinct target
 * in an open-addressing table of three longs and a byte ({@link Seen}, 25 bytes a slot, filled to
 * at most three quarters: 33-67 bytes a distinct target; a host name's text once per name). Port
 * numbers do not count: a port list is an {@code int[]} shared by every host that takes it.
 *
 * <p>A bad line of a file or stdin (not a target, not text, a second and different expectation
 * for a target already met) is told to the {@link #onBadLine sink}, counted and skipped: the stream
 * goes on. What no later line can mend (a failed read, more than {@link #MAX_TARGETS} targets)
 * ends the stream: {@link #error()} says what.
 */
public final class TargetList {
  /** One target and what is expected of it ({@code null}: nothing). */
  public record Entry(Target target, PortState expected) {}

  /** The most distinct targets one scan takes (and keeps for de-duplication). */
  static final long MAX_TARGETS = 1L << 21;
  /** The most addresses one CIDR block or address range may have. */
  static final long MAX_BLOCK = 1L << 16;

  private final int[] ports;
  private final PortState defaultExpectation;
  private final Family family;
  private final Excludes excludes;
  private final ArrayDeque<Object> sources = new ArrayDeque<>(); // Spec or LineSource
  private final Seen seen = new Seen();
  private final Map<String, Integer> names = new HashMap<>();
  private final Map<String, Integer> zones = new HashMap<>();
  private boolean anyExpectation;
  private int width;
  private long upperBound;
  private boolean bounded = true;
  private UsageException error;
  private long badLines;
  private long excluded;
  private java.util.function.Consumer<String> onBadLine = m -> { };

  public TargetList(String portSpec, PortState defaultExpectation) {
    this(portSpec, defaultExpectation, Family.ANY, Excludes.NONE);
  }

  public TargetList(String portSpec, PortState defaultExpectation, Family family, Excludes excludes) {
    this.ports = portSpec == null ? new int[0] : Ports.parse(portSpec);
    this.defaultExpectation = defaultExpectation;
    this.family = family;
    this.excludes = excludes;
    this.anyExpectation = defaultExpectation != null;
  }

  /** Parses {@code 22,80,8000-8100,ssh}: ascending, each port once. */
  static BitSet parsePorts(String spec) {
    BitSet b = new BitSet();
    for (int p : Ports.parse(spec)) {
      b.set(p);
    }
    return b;
  }

  // ---- adding ----

  /**
   * Adds one specification, checked now ({@link UsageException} when it is malformed);
   * {@code where} names it in errors.
   */
  public void add(String spec, String where) {
    Spec s = parse(spec, where);
    long n = s.hosts() * s.ports().length;
    upperBound += n;
    width = Math.max(width, s.width());
    sources.add(s);
  }

  /**
   * Where each bad line is told, as {@code FILE:LINE: why} (quoting no more than the offending
   * token), when the stream meets it; it is skipped and counted.
   *
   * @param sink called on the thread that takes the entries
   * @return this list
   */
  public TargetList onBadLine(java.util.function.Consumer<String> sink) {
    this.onBadLine = sink;
    return this;
  }

  /** Lines skipped as bad so far (a line counts once however many of its targets were bad). */
  public long badLines() {
    return badLines;
  }

  /** Targets left out by the exclusions so far (each time a specification named one). */
  public long excluded() {
    return excluded;
  }

  private void bad(String message) {
    badLines++;
    onBadLine.accept(message);
  }

  /** Adds the lines of {@code source}, read when the stream reaches them. */
  public void addLines(LineSource source) {
    bounded = false;
    sources.add(source);
  }

  public boolean anyExpectation() {
    return anyExpectation;
  }

  /** The most targets the arguments make, when no file or stdin is read; else -1. */
  public long upperBound() {
    return bounded ? upperBound : -1;
  }

  /** The widest {@code host:port} of the arguments (files are not read ahead), in characters. */
  public int width() {
    return width;
  }

  /** Distinct targets met so far, all shards together. */
  public long distinct() {
    return seen.size;
  }

  /** The error that ended the stream early, or {@code null}. */
  public UsageException error() {
    return error;
  }

  /**
   * Every entry of {@code shard} ({@code null}: all), for tests; throws the stream's error, or
   * the first bad line's.
   */
  List<Entry> entries(Converters.Shard shard) {
    List<Entry> out = new ArrayList<>();
    List<String> bad = new ArrayList<>();
    java.util.function.Consumer<String> sink = onBadLine;
    onBadLine = m -> {
      bad.add(m);
      sink.accept(m);
    };
    iterator(shard).forEachRemaining(out::add);
    onBadLine = sink;
    if (error != null) {
      throw error;
    }
    if (!bad.isEmpty()) {
      throw new UsageException(bad.getFirst());
    }
    return out;
  }

  /**
   * The entries of {@code shard} (all of them for {@code null}) in first-seen order, each made
   * when it is asked for. One pass: the list is used up by it. Not thread-safe.
   */
  public Iterator<Entry> iterator(Converters.Shard shard) {
    return new Iterator<>() {
      private Expansion current;
      private Entry next;
      private long index = -1; // of the last distinct target, in the whole list

      @Override
      public boolean hasNext() {
        if (next != null) {
          return true;
        }
        if (error != null) {
          return false;
        }
        try {
          next = advance();
        } catch (UsageException e) {
          error = e;
          next = null;
        }
        return next != null;
      }

      private Entry advance() {
        while (true) {
          if (current == null || !current.hasNext()) {
            current = nextExpansion();
            if (current == null) {
              return null;
            }
            continue;
          }
          Entry e = current.next(this::isNew);
          if (e != null && (shard == null || shard.owns(++index))) {
            return e;
          }
        }
      }

      private boolean isNew(Expansion x) {
        return TargetList.this.isNew(x);
      }

      @Override
      public Entry next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        Entry e = next;
        next = null;
        return e;
      }
    };
  }

  private Expansion nextExpansion() {
    while (!sources.isEmpty()) {
      Object src = sources.peek();
      if (src instanceof Spec s) {
        sources.poll();
        return new Expansion(s);
      }
      LineSource ls = (LineSource) src;
      LineSource.Line line = ls.next();
      if (line == null) {
        sources.poll();
        continue;
      }
      if (line.error() != null) {
        bad(line.error());
        continue;
      }
      try {
        return new Expansion(parse(line.text(), ls.name() + ":" + line.number()));
      } catch (UsageException e) {
        bad(e.getMessage());
      }
    }
    return null;
  }

  // ---- one specification ----

  /** The hosts of one line or argument: one host, a CIDR block or an address range. */
  @SuppressWarnings("ArrayRecordComponent") // never compared; the arrays are not changed
  private record Spec(String name, byte[] base, int prefixBits, int[][] octets, String zone,
      int[] ports, PortState expected, String where, int width) {
    long hosts() {
      if (octets != null) {
        return Ranges.size(octets);
      }
      return base == null ? 1 : 1L << (base.length * 8 - prefixBits);
    }
  }

  private Spec parse(String spec, String where) {
    String s = spec.strip();
    PortState expected = defaultExpectation;
    int eq = s.lastIndexOf('=');
    if (eq >= 0 && Pasted.isUrl(s) && !isState(s.substring(eq + 1))) {
      eq = -1; // a URL's query (?sslmode=require), not an expectation
    }
    if (eq >= 0) {
      try {
        expected = PortState.parse(s.substring(eq + 1));
      } catch (IllegalArgumentException e) {
        throw new UsageException(where + ": bad expectation '" + Target.parse("x:1").host().substring(0, 0)
            + shorten(s.substring(eq + 1)) + "': use open, closed or filtered");
      }
      anyExpectation = true;
      s = s.substring(0, eq).strip();
    }
    if (s.isEmpty()) {
      throw new UsageException(where + ": empty target");
    }
    String url;
    try {
      url = Pasted.url(s);
    } catch (UsageException e) {
      throw new UsageException(where + ": " + e.getMessage());
    }
    if (url != null) {
      s = url;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c)) {
        throw new UsageException(where + ": white space inside a target (one target per line)");
      }
      if (Character.isISOControl(c) || c == '\ufeff') {
        throw new UsageException(where + String.format(Locale.ROOT,
            ": control character U+%04X at column %d", (int) c, i + 1));
      }
    }
    int slash = s.indexOf('/');
    if (slash >= 0) {
      return block(s, slash, expected, where);
    }
    if (s.startsWith("-")) {
      throw new UsageException(where + ": '" + shorten(s) + "' is not a target (an option here?)");
    }
    if (isRange(s)) {
      return range(s, expected, where);
    }
    try {
      Target t;
      int[] ps;
      if (hasPort(s)) {
        t = Target.parse(s);
        ps = new int[] {t.port()};
      } else {
        if (ports.length == 0) {
          throw new UsageException(where + ": '" + shorten(s) + "' has no port: write host:port, or give -p PORTS");
        }
        t = Target.parse(s, 1);
        ps = ports;
      }
      InetAddress a = t.literal().orElse(null);
      checkFamily(a, s, where);
      String zone = null;
      if (a instanceof Inet6Address && t.host().indexOf('%') >= 0) {
        zone = t.host().substring(t.host().indexOf('%') + 1);
      }
      String name = a == null ? canonicalName(t.host()) : null;
      byte[] base = a == null ? null : a.getAddress();
      int w = (a == null ? name : Addresses.format(a)).length() + (zone == null ? 0 : zone.length() + 1)
          + (a instanceof Inet6Address ? 3 : 1) + Integer.toString(ps[ps.length - 1]).length();
      return new Spec(name, base, base == null ? 0 : base.length * 8, null, zone, ps, expected, where, w);
    } catch (IllegalArgumentException e) {
      throw new UsageException(where + ": " + reason(e.getMessage(), s));
    }
  }

  private static boolean isState(String text) {
    try {
      PortState.parse(text);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private void checkFamily(InetAddress a, String s, String where) {
    if (a != null && !family.allows(a)) {
      throw new UsageException(where + ": '" + shorten(s) + "' is an "
          + (a instanceof Inet4Address ? "IPv4" : "IPv6") + " address"
          + (a instanceof Inet4Address && s.indexOf(':') >= 0
              ? " (IPv4-mapped, dialed over IPv4)" : "")
          + ", but " + (family == Family.IPV4 ? "-4" : "-6") + " allows only "
          + (family == Family.IPV4 ? "IPv4" : "IPv6"));
    }
  }

  /** Target.parse's message without its own quote of the whole text (files are not echoed). */
  static String reason(String message, String text) {
    String prefix = "bad target '" + shorten(text) + "': ";
    return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
  }

  /**
   * {@code s} as a message may quote it: control characters escaped ({@code \n}, {@code \x1b}),
   * so an error stays one line, and at most 80 characters and an ellipsis.
   */
  public static String shorten(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), 84));
    int i = 0;
    for (; i < s.length() && b.length() < 80; i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            b.append(String.format(java.util.Locale.ROOT, "\\x%02x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return i < s.length() ? b + "..." : b.toString();
  }

  private static String canonicalName(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
  }

  private static boolean hasPort(String s) {
    if (s.startsWith("[")) {
      return s.contains("]:");
    }
    int first = s.indexOf(':');
    if (first < 0 || first == s.lastIndexOf(':')) {
      return first >= 0;
    }
    int pct = s.indexOf('%');
    try {
      Inet6Address.ofLiteral(pct >= 0 ? s.substring(0, pct) : s);
      return false; // a bare IPv6 address: the ports of -p
    } catch (IllegalArgumentException e) {
      return true; // Target.parse says what is wrong
    }
  }

  /**
   * {@code 198.18.1.1-20}, {@code 198.18.1-2.1-5}, {@code 198.18.1.1,3,5}, {@code 198.18.1.*},
   * {@code 198.18.1.250-}: four parts, at least one more than a number.
   */
  private static boolean isRange(String s) {
    return Ranges.looksLikeRange(s.indexOf(':') >= 0 ? s.substring(0, s.indexOf(':')) : s);
  }

  private Spec range(String s, PortState expected, String where) {
    int colon = s.indexOf(':');
    String host = colon >= 0 ? s.substring(0, colon) : s;
    int[] ps;
    if (colon >= 0) {
      try {
        ps = new int[] {Target.parsePort(s.substring(colon + 1), "'" + shorten(s) + "'")};
      } catch (IllegalArgumentException e) {
        throw new UsageException(where + ": " + reason(e.getMessage(), s));
      }
    } else if (ports.length == 0) {
      throw new UsageException(where + ": address range '" + shorten(s) + "' needs ports: give -p PORTS");
    } else {
      ps = ports;
    }
    int[][] octets = Ranges.octets(host);
    if (octets == null) {
      throw new UsageException(where + ": '" + shorten(host) + "' is not an address range (write"
          + " 198.18.1.1-20, 198.18.1-2.250-, 198.18.1.1,3,5 or 198.18.1.*: four parts, each a"
          + " number 0-255, a-b, -b, a-, * or a comma list of them)");
    }
    if (family == Family.IPV6) {
      throw new UsageException(where + ": address range '" + shorten(host)
          + "' is IPv4, but -6 allows only IPv6");
    }
    Spec sp = new Spec(null, null, 0, octets, null, ps, expected, where,
        15 + 1 + Integer.toString(ps[ps.length - 1]).length());
    if (sp.hosts() > MAX_BLOCK) {
      throw new UsageException(where + ": address range '" + shorten(host) + "' has " + sp.hosts()
          + " addresses; at most " + MAX_BLOCK + " per range");
    }
    checkSize(sp, where);
    return sp;
  }

  private Spec block(String s, int slash, PortState expected, String where) {
    String base = s.substring(0, slash);
    String bits = s.substring(slash + 1);
    if (base.startsWith("[") && base.endsWith("]")) {
      base = base.substring(1, base.length() - 1);
    }
    InetAddress addr;
    try {
      addr = new Target(base, 1).literal().orElse(null);
    } catch (IllegalArgumentException e) {
      addr = null;
    }
    if (addr == null || base.indexOf('%') >= 0) {
      throw new UsageException(where + ": '" + shorten(s) + "' is not a CIDR block (write 198.18.1.0/28 or fd00::/120)");
    }
    checkFamily(addr, base, where);
    int w = addr instanceof Inet4Address ? 32 : 128;
    if (bits.isEmpty() || bits.length() > 3 || !bits.chars().allMatch(c -> c >= '0' && c <= '9')
        || Integer.parseInt(bits) > w) {
      throw new UsageException(where + ": '" + shorten(s) + "': prefix length must be 0-" + w);
    }
    int prefix = Integer.parseInt(bits);
    int hostBits = w - prefix;
    if (hostBits > 16) {
      throw new UsageException(where + ": CIDR block '" + shorten(s) + "' has 2^" + hostBits
          + " addresses; at most " + MAX_BLOCK + " per block (a /" + (w - 16) + ")");
    }
    if (ports.length == 0) {
      throw new UsageException(where + ": CIDR block '" + shorten(s) + "' needs ports: give -p PORTS");
    }
    byte[] bytes = addr.getAddress();
    for (int bit = prefix; bit < w; bit++) {
      bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
    }
    Spec sp = new Spec(null, bytes, prefix, null, null, ports, expected, where,
        (w == 32 ? 15 + 1 : 41 + 2) + Integer.toString(ports[ports.length - 1]).length());
    checkSize(sp, where);
    return sp;
  }

  private void checkSize(Spec sp, String where) {
    long n = sp.hosts() * sp.ports().length;
    if (n > MAX_TARGETS) {
      throw new UsageException(where + ": too many targets (" + n + "); one scan takes at most "
          + MAX_TARGETS + ": split it into smaller blocks or port lists");
    }
  }

  // ---- expansion and de-duplication ----

  /** The targets of one {@link Spec}: host by host, each with every port. */
  private final class Expansion {
    private final Spec spec;
    private final long hosts;
    private long host = -1;
    private int port;
    private byte[] address; // of the current host, or null for a name
    private String hostText;
    private long k0;
    private long k1;
    private long k2;
    private boolean conflicted; // the line was counted bad for a second expectation

    Expansion(Spec spec) {
      this.spec = spec;
      this.hosts = spec.hosts();
      this.port = spec.ports().length;
    }

    boolean hasNext() {
      return port < spec.ports().length || host + 1 < hosts;
    }

    /** The next candidate as an entry when {@code fresh} says it is new, else null. */
    Entry next(java.util.function.Predicate<Expansion> fresh) {
      if (port >= spec.ports().length) {
        host++;
        port = 0;
        if (!loadHost()) {
          excluded += spec.ports().length - port;
          port = spec.ports().length; // excluded: skip its ports
          return null;
        }
      }
      int p = spec.ports()[port++];
      long tag;
      if (address == null) {
        tag = 3L << 62 | (long) id(names, spec.name()) << 16;
        k1 = 0;
        k2 = 0;
      } else if (address.length == 4) {
        tag = 1L << 62;
        k1 = ((address[0] & 0xffL) << 24) | ((address[1] & 0xffL) << 16) | ((address[2] & 0xffL) << 8)
            | (address[3] & 0xffL);
        k2 = 0;
      } else {
        tag = 2L << 62 | (spec.zone() == null ? 0 : (long) id(zones, spec.zone()) << 16);
        k1 = bits(address, 0);
        k2 = bits(address, 8);
      }
      k0 = tag | p;
      if (!fresh.test(this)) {
        return null;
      }
      return new Entry(new Target(hostText, p), spec.expected());
    }

    private boolean loadHost() {
      if (spec.base() == null && spec.octets() == null) {
        address = null;
        hostText = spec.name();
        return !excludes.excludesName(spec.name());
      }
      byte[] b;
      if (spec.octets() != null) {
        b = Ranges.nth(spec.octets(), host);
      } else {
        b = spec.base().clone();
        long carry = host;
        for (int k = b.length - 1; k >= 0 && carry != 0; k--) {
          long v = (b[k] & 0xff) + (carry & 0xff);
          b[k] = (byte) v;
          carry = (carry >>> 8) + (v >>> 8);
        }
      }
      address = b;
      InetAddress a;
      try {
        a = InetAddress.getByAddress(b);
      } catch (UnknownHostException e) {
        throw new AssertionError(e);
      }
      if (excludes.excludes(a)) {
        return false;
      }
      hostText = Addresses.format(a) + (spec.zone() == null ? "" : "%" + spec.zone());
      return true;
    }
  }

  private static long bits(byte[] b, int from) {
    long v = 0;
    for (int i = from; i < from + 8; i++) {
      v = (v << 8) | (b[i] & 0xff);
    }
    return v;
  }

  private static int id(Map<String, Integer> ids, String s) {
    Integer id = ids.get(s);
    if (id == null) {
      id = ids.size() + 1;
      if (id >= 1 << 30) {
        throw new UsageException("too many distinct names");
      }
      ids.put(s, id);
    }
    return id;
  }

  private boolean isNew(Expansion x) {
    byte code = (byte) (x.spec.expected() == null ? 0 : x.spec.expected().ordinal() + 1);
    int before = seen.putIfAbsent(x.k0, x.k1, x.k2, code);
    if (before < 0) {
      if (seen.size > MAX_TARGETS) {
        throw new UsageException(x.spec.where() + ": too many targets: one scan takes at most "
            + MAX_TARGETS + " distinct targets; split the input into several scans");
      }
      return true;
    }
    if (code != 0 && before != code && !x.conflicted) {
      // the first line that names a target decides; a later line without an expectation adds
      // nothing, a later different one cannot be honoured (the target may be dialed already):
      // that line is bad, its other targets still count
      x.conflicted = true;
      bad(x.spec.where() + ": " + x.hostText + " port " + Long.toString(x.k0 & 0xffff)
          + " is expected " + label(code) + " here but " + label(before) + " earlier; one"
          + " expectation per target");
    }
    return false;
  }

  private static String label(int code) {
    return code == 0 ? "nothing" : PortState.values()[code - 1].label();
  }

  /**
   * The distinct targets seen: open addressing over three longs a slot (a tag with the port, and
   * the address bits) and the expectation's code; slot empty when its first long is 0 (the tag
   * never is).
   */
  static final class Seen {
    private long[] keys = new long[3 * 1024];
    private byte[] codes = new byte[1024];
    private int mask = 1023;
    long size;

    /** -1 when added, else the code stored for the key. */
    int putIfAbsent(long a, long b, long c, byte code) {
      int i = slot(a, b, c);
      while (keys[3 * i] != 0) {
        if (keys[3 * i] == a && keys[3 * i + 1] == b && keys[3 * i + 2] == c) {
          return codes[i];
        }
        i = (i + 1) & mask;
      }
      keys[3 * i] = a;
      keys[3 * i + 1] = b;
      keys[3 * i + 2] = c;
      codes[i] = code;
      if (++size * 4 > (mask + 1L) * 3) {
        grow();
      }
      return -1;
    }

    private int slot(long a, long b, long c) {
      long h = a * 0x9E3779B97F4A7C15L ^ b * 0xC2B2AE3D27D4EB4FL ^ c * 0x165667B19E3779F9L;
      h ^= h >>> 29;
      h *= 0xBF58476D1CE4E5B9L;
      h ^= h >>> 32;
      return (int) h & mask;
    }

    private void grow() {
      long[] oldKeys = keys;
      byte[] oldCodes = codes;
      int n = (mask + 1) * 2;
      keys = new long[3 * n];
      codes = new byte[n];
      mask = n - 1;
      for (int j = 0; j < oldCodes.length; j++) {
        if (oldKeys[3 * j] != 0) {
          int i = slot(oldKeys[3 * j], oldKeys[3 * j + 1], oldKeys[3 * j + 2]);
          while (keys[3 * i] != 0) {
            i = (i + 1) & mask;
          }
          keys[3 * i] = oldKeys[3 * j];
          keys[3 * i + 1] = oldKeys[3 * j + 1];
          keys[3 * i + 2] = oldKeys[3 * j + 2];
          codes[i] = oldCodes[j];
        }
      }
    }
  }
}
