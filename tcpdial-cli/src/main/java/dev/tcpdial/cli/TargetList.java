package dev.tcpdial.cli;

import dev.tcpdial.Target;
import java.io.BufferedReader;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The targets of a scan: {@code host:port}, hosts and CIDR blocks with the ports of {@code -p},
 * each with an optional {@code =open|closed|filtered} expectation; de-duplicated, in first-seen
 * order.
 *
 * <p>Kept compact and made on demand: a host with a port list is one run (the host and those of
 * its ports not listed before), so {@code 127.0.0.1 -p 1-65535} is a few objects until it is
 * iterated, and a scan starts with its first target rather than after its last is built.
 */
final class TargetList {
  /** One target and what is expected of it ({@code null}: nothing). */
  record Entry(Target target, Expectation expected) {}

  /** One host's ports, in ascending order, all with one expectation. */
  private record Run(String host, BitSet ports, Expectation expected) {}

  /** The most targets one scan takes. */
  static final long MAX_TARGETS = 1L << 21;
  /** The most addresses one CIDR block may have. */
  static final long MAX_BLOCK = 1L << 16;

  private final BitSet ports;
  private final int portCount;
  private final Expectation defaultExpectation;
  private final List<Run> runs = new ArrayList<>();
  /** Per host, the ports listed so far; {@link #ports} itself until that host gets others. */
  private final Map<String, BitSet> seen = new HashMap<>();
  private long size;
  private int width;
  private boolean anyExpectation;

  TargetList(String portSpec, Expectation defaultExpectation) {
    this.ports = portSpec == null ? new BitSet() : parsePorts(portSpec);
    this.portCount = ports.cardinality();
    this.defaultExpectation = defaultExpectation;
    this.anyExpectation = defaultExpectation != null;
  }

  /** Parses {@code 22,80,8000-8100}. */
  static BitSet parsePorts(String spec) {
    BitSet set = new BitSet(65536);
    if (spec.isBlank()) {
      throw new UsageException("-p: empty port list");
    }
    for (String part : spec.split(",", -1)) {
      String p = part.strip();
      if (p.isEmpty()) {
        throw new UsageException("-p '" + spec + "': empty element");
      }
      int dash = p.indexOf('-');
      int lo;
      int hi;
      if (dash < 0) {
        lo = port(p, spec);
        hi = lo;
      } else {
        lo = port(p.substring(0, dash), spec);
        hi = port(p.substring(dash + 1), spec);
        if (lo > hi) {
          throw new UsageException("-p '" + spec + "': range " + p + " runs backwards");
        }
      }
      set.set(lo, hi + 1);
    }
    return set;
  }

  private static int port(String text, String spec) {
    String t = text.strip();
    if (t.isEmpty() || t.length() > 5 || !t.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new UsageException("-p '" + spec + "': '" + text + "' is not a port number");
    }
    int p = Integer.parseInt(t);
    if (p < 1 || p > 65535) {
      throw new UsageException("-p '" + spec + "': port " + p + " is outside 1-65535");
    }
    return p;
  }

  /** Adds every line of {@code reader}; {@code name} names it in errors. */
  void addLines(BufferedReader reader, String name) throws IOException {
    String line;
    int n = 0;
    while ((line = reader.readLine()) != null) {
      n++;
      int hash = line.indexOf('#');
      String s = (hash >= 0 ? line.substring(0, hash) : line).strip();
      if (s.isEmpty()) {
        continue;
      }
      add(s, name + ":" + n);
    }
  }

  /** Adds one specification; {@code where} names it in errors. */
  void add(String spec, String where) {
    String s = spec.strip();
    Expectation expected = defaultExpectation;
    int eq = s.lastIndexOf('=');
    if (eq >= 0) {
      try {
        expected = Expectation.parse(s.substring(eq + 1));
      } catch (IllegalArgumentException e) {
        throw new UsageException(where + ": " + e.getMessage());
      }
      anyExpectation = true;
      s = s.substring(0, eq).strip();
    }
    if (s.isEmpty()) {
      throw new UsageException(where + ": empty target");
    }
    for (int i = 0; i < s.length(); i++) {
      if (Character.isWhitespace(s.charAt(i))) {
        throw new UsageException(where + ": '" + s + "' contains white space (one target per line)");
      }
    }
    int slash = s.indexOf('/');
    if (slash >= 0) {
      addBlock(s, slash, expected, where);
      return;
    }
    try {
      if (hasPort(s)) {
        Target t = Target.parse(s);
        checkSize(1, where);
        BitSet one = new BitSet(t.port() + 1);
        one.set(t.port());
        addRun(canonical(t), one, expected);
        return;
      }
      if (portCount == 0) {
        throw new UsageException(where + ": '" + s + "' has no port: write host:port, or give -p PORTS");
      }
      Target first = Target.parse(s, 1);
      checkSize(portCount, where);
      addRun(canonical(first), ports, expected);
    } catch (IllegalArgumentException e) {
      throw new UsageException(where + ": " + e.getMessage());
    }
  }

  private static boolean hasPort(String s) {
    if (s.startsWith("[")) {
      return s.contains("]:");
    }
    long colons = s.chars().filter(c -> c == ':').count();
    return colons == 1;
  }

  private void addBlock(String s, int slash, Expectation expected, String where) {
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
    if (addr == null) {
      throw new UsageException(where + ": '" + s + "' is not a CIDR block (write 198.18.1.0/28 or fd00::/120)");
    }
    int width = addr instanceof Inet4Address ? 32 : 128;
    if (bits.isEmpty() || bits.length() > 3 || !bits.chars().allMatch(c -> c >= '0' && c <= '9')
        || Integer.parseInt(bits) > width) {
      throw new UsageException(where + ": '" + s + "': prefix length must be 0-" + width);
    }
    int prefix = Integer.parseInt(bits);
    int hostBits = width - prefix;
    if (hostBits > 16) {
      throw new UsageException(where + ": CIDR block '" + s + "' has 2^" + hostBits
          + " addresses; at most " + MAX_BLOCK + " per block (a /" + (width - 16) + ")");
    }
    if (portCount == 0) {
      throw new UsageException(where + ": CIDR block '" + s + "' needs ports: give -p PORTS");
    }
    long size = 1L << hostBits;
    checkSize(size * portCount, where);
    byte[] bytes = addr.getAddress();
    // clear the host bits
    for (int bit = prefix; bit < width; bit++) {
      bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
    }
    for (long i = 0; i < size; i++) {
      byte[] b = bytes.clone();
      long carry = i;
      for (int k = b.length - 1; k >= 0 && carry != 0; k--) {
        long v = (b[k] & 0xff) + (carry & 0xff);
        b[k] = (byte) v;
        carry = (carry >>> 8) + (v >>> 8);
      }
      String host;
      try {
        host = Addresses.format(InetAddress.getByAddress(b));
      } catch (UnknownHostException e) {
        throw new AssertionError(e);
      }
      addRun(host, ports, expected);
    }
  }

  private void checkSize(long adding, String where) {
    if (size + adding > MAX_TARGETS) {
      throw new UsageException(where + ": too many targets (" + (size + adding)
          + "); one scan takes at most " + MAX_TARGETS + ": split it with --shard or smaller blocks");
    }
  }

  /**
   * Adds {@code host} with those ports of {@code add} not listed for it before. {@code add} is
   * never changed: the port list of {@code -p} is shared by every host that takes it whole.
   */
  private void addRun(String host, BitSet add, Expectation expected) {
    BitSet before = seen.get(host);
    BitSet fresh;
    if (before == null) {
      fresh = add;
      seen.put(host, add);
    } else {
      fresh = (BitSet) add.clone();
      fresh.andNot(before);
      if (fresh.isEmpty()) {
        return;
      }
      BitSet all = (BitSet) before.clone();
      all.or(add);
      seen.put(host, all);
    }
    int n = fresh == ports ? portCount : fresh.cardinality();
    Run last = runs.isEmpty() ? null : runs.getLast();
    if (n == 1 && last != null && last.ports != ports && last.host.equals(host)
        && last.expected == expected && last.ports.length() <= fresh.nextSetBit(0)) {
      // host:port lines of one host in ascending order: one run, not one per line
      last.ports.or(fresh);
    } else {
      runs.add(new Run(host, fresh == ports ? ports : (BitSet) fresh.clone(), expected));
    }
    size += n;
    int highest = fresh.length() - 1;
    int digits = Integer.toString(Math.max(highest, 0)).length();
    width = Math.max(width, host.length() + 1 + digits + (host.indexOf(':') >= 0 ? 2 : 0));
  }

  private static String canonical(Target t) {
    return t.literal().map(Addresses::format).orElse(t.host());
  }

  boolean anyExpectation() {
    return anyExpectation;
  }

  /** The number of targets, all shards together. */
  long size() {
    return size;
  }

  /** The number of targets of {@code shard} ({@code null}: all of them). */
  long size(Converters.Shard shard) {
    if (shard == null) {
      return size;
    }
    long first = shard.index() - 1L;
    return size <= first ? 0 : (size - 1 - first) / shard.count() + 1;
  }

  /** The widest {@code host:port} of the list, in characters. */
  int width() {
    return width;
  }

  /** The entries of {@code shard} (all of them for {@code null}), in first-seen order. */
  List<Entry> entries(Converters.Shard shard) {
    List<Entry> out = new ArrayList<>((int) Math.min(size(shard), Integer.MAX_VALUE));
    iterator(shard).forEachRemaining(out::add);
    return out;
  }

  /**
   * The entries of {@code shard} (all of them for {@code null}) in first-seen order, each made
   * when it is asked for. Not thread-safe; the list must not change while it is iterated.
   */
  Iterator<Entry> iterator(Converters.Shard shard) {
    return new Iterator<>() {
      private int run;
      private int port = -1;
      private long index = -1; // in the whole list, of the entry last found
      private Entry next = advance();

      private Entry advance() {
        while (run < runs.size()) {
          Run r = runs.get(run);
          port = r.ports.nextSetBit(port + 1);
          if (port < 0) {
            run++;
            continue;
          }
          index++;
          if (shard == null || shard.owns(index)) {
            return new Entry(new Target(r.host, port), r.expected);
          }
        }
        return null;
      }

      @Override
      public boolean hasNext() {
        return next != null;
      }

      @Override
      public Entry next() {
        if (next == null) {
          throw new NoSuchElementException();
        }
        Entry e = next;
        next = advance();
        return e;
      }
    };
  }
}
