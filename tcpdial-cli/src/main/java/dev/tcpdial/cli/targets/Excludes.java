package dev.tcpdial.cli.targets;

import dev.tcpdial.Target;
import dev.tcpdial.cli.process.UsageException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@code --exclude} takes out of a scan: addresses, CIDR blocks, IPv4 ranges
 * ({@code 198.18.1.1-20}, {@code 198.18.1.250-}, {@code 198.18.*.1}) and host names (matched as
 * written, ignoring case), comma-separated as in nmap's {@code --exclude}: a comma ends an item,
 * so an octet list ({@code 198.18.1.1,3}) is two items here.
 */
public final class Excludes {
  static final Excludes NONE = new Excludes(List.of());

  private final List<Object> items; // byte[][] {address, prefix}, int[][] ranges, or a name

  private Excludes(List<Object> items) {
    this.items = items;
  }

  public static Excludes parse(List<String> specs) {
    List<Object> items = new ArrayList<>();
    for (String spec : specs) {
      for (String part : spec.split(",", -1)) {
        items.add(item(part.strip()));
      }
    }
    return items.isEmpty() ? NONE : new Excludes(items);
  }

  private static Object item(String s) {
    String bad = "--exclude '" + TargetList.shorten(s) + "': ";
    if (s.isEmpty()) {
      throw new UsageException("--exclude: empty element");
    }
    int slash = s.indexOf('/');
    String base = slash >= 0 ? s.substring(0, slash) : s;
    if (base.startsWith("[") && base.endsWith("]")) {
      base = base.substring(1, base.length() - 1);
    }
    if (slash < 0 && Ranges.looksLikeRange(base)) {
      int[][] o = Ranges.octets(base);
      if (o == null) {
        throw new UsageException(bad + "not an address range (write 198.18.1.1-20, 198.18.1.250-"
            + " or 198.18.1.*; a comma separates items here, as in nmap's --exclude)");
      }
      return o;
    }
    if (slash < 0 && base.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new UsageException(bad + "not an address (a comma separates items here, as in nmap's"
          + " --exclude: for 198.18.1.1,3 write 198.18.1.1,198.18.1.3)");
    }
    Target t;
    try {
      t = new Target(base, 1);
    } catch (IllegalArgumentException e) {
      throw new UsageException(bad + "not an address, CIDR block, range or host name");
    }
    InetAddress a = t.literal().orElse(null);
    if (a == null) {
      if (slash >= 0) {
        throw new UsageException(bad + "not a CIDR block");
      }
      return t.host().toLowerCase(Locale.ROOT);
    }
    int width = a instanceof Inet4Address ? 32 : 128;
    int prefix = width;
    if (slash >= 0) {
      String bits = s.substring(slash + 1);
      if (bits.isEmpty() || bits.length() > 3 || !bits.chars().allMatch(Character::isDigit)
          || Integer.parseInt(bits) > width) {
        throw new UsageException(bad + "prefix length must be 0-" + width);
      }
      prefix = Integer.parseInt(bits);
    }
    return new byte[][] {a.getAddress(), {(byte) prefix}};
  }

  boolean isEmpty() {
    return items.isEmpty();
  }

  boolean excludes(InetAddress a) {
    byte[] b = a.getAddress();
    for (Object o : items) {
      if (o instanceof int[][] range) {
        if (b.length == 4 && Ranges.contains(range, b)) {
          return true;
        }
      } else if (o instanceof byte[][] block && block[0].length == b.length
          && matches(block[0], b, block[1][0] & 0xff)) {
        return true;
      }
    }
    return false;
  }

  boolean excludesName(String name) {
    for (Object o : items) {
      if (o instanceof String s && (s.equals(name) || (s + ".").equals(name) || s.equals(name + "."))) {
        return true;
      }
    }
    return false;
  }

  private static boolean matches(byte[] net, byte[] a, int prefix) {
    for (int bit = 0; bit < prefix; bit++) {
      int mask = 0x80 >>> (bit % 8);
      if ((net[bit / 8] & mask) != (a[bit / 8] & mask)) {
        return false;
      }
    }
    return true;
  }
}
