package dev.tcpdial.cli;

import dev.tcpdial.Target;
import java.io.BufferedReader;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The targets of a scan: {@code host:port}, hosts and CIDR blocks with the ports of {@code -p},
 * each with an optional {@code =open|closed|filtered} expectation; de-duplicated, in first-seen
 * order.
 */
final class TargetList {
  /** One target and what is expected of it ({@code null}: nothing). */
  record Entry(Target target, Expectation expected) {}

  /** The most targets one scan takes. */
  static final long MAX_TARGETS = 1L << 21;
  /** The most addresses one CIDR block may have. */
  static final long MAX_BLOCK = 1L << 16;

  private final BitSet ports;
  private final int portCount;
  private final Expectation defaultExpectation;
  private final LinkedHashMap<Target, Expectation> targets = new LinkedHashMap<>();
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
        put(Target.parse(s), expected);
        return;
      }
      if (portCount == 0) {
        throw new UsageException(where + ": '" + s + "' has no port: write host:port, or give -p PORTS");
      }
      Target first = Target.parse(s, 1);
      checkSize(portCount, where);
      String host = canonical(first);
      for (int p = ports.nextSetBit(0); p >= 0; p = ports.nextSetBit(p + 1)) {
        targets.putIfAbsent(new Target(host, p), expected); // host is canonical already
      }
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
      for (int p = ports.nextSetBit(0); p >= 0; p = ports.nextSetBit(p + 1)) {
        targets.putIfAbsent(new Target(host, p), expected); // host is canonical already
      }
    }
  }

  private void checkSize(long adding, String where) {
    if (targets.size() + adding > MAX_TARGETS) {
      throw new UsageException(where + ": too many targets (" + (targets.size() + adding)
          + "); one scan takes at most " + MAX_TARGETS + ": split it with --shard or smaller blocks");
    }
  }

  private void put(Target t, Expectation expected) {
    Target c = t.isLiteral() ? new Target(canonical(t), t.port()) : t;
    targets.putIfAbsent(c, expected);
  }

  private static String canonical(Target t) {
    return t.literal().map(Addresses::format).orElse(t.host());
  }

  boolean anyExpectation() {
    return anyExpectation;
  }

  int size() {
    return targets.size();
  }

  /** The entries of {@code shard} (all of them for {@code null}), in first-seen order. */
  List<Entry> entries(Converters.Shard shard) {
    List<Entry> out = new ArrayList<>(shard == null ? targets.size() : targets.size() / shard.count() + 1);
    long i = 0;
    for (Map.Entry<Target, Expectation> e : targets.entrySet()) {
      if (shard == null || shard.owns(i)) {
        out.add(new Entry(e.getKey(), e.getValue()));
      }
      i++;
    }
    return out;
  }
}
