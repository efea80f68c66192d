package dev.tcpdial.exporter;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The address blocks {@code /probe} may dial ({@code --allow}). Empty means every address. An
 * IPv4-mapped IPv6 address is checked as the IPv4 address it carries.
 *
 * @param blocks the blocks; empty: every address
 */
public record Cidrs(List<Block> blocks) {

  /** One block: a network address and a prefix length. */
  static final class Block {
    private final byte[] network;
    private final int prefix;
    private final String text;

    Block(byte[] network, int prefix, String text) {
      this.network = network.clone();
      this.prefix = prefix;
      this.text = text;
    }

    String text() {
      return text;
    }

    boolean contains(InetAddress a) {
      byte[] b = a.getAddress();
      if (b.length != network.length) {
        return false;
      }
      int full = prefix / 8;
      for (int i = 0; i < full; i++) {
        if (b[i] != network[i]) {
          return false;
        }
      }
      int rest = prefix % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xff << (8 - rest)) & 0xff;
      return (b[full] & mask) == (network[full] & mask);
    }
  }

  /** Copies the blocks. */
  public Cidrs {
    blocks = List.copyOf(blocks);
  }

  public static final Cidrs ANY = new Cidrs(List.of());

  /** True when no block was given, or one of them holds {@code a}. */
  boolean allows(InetAddress a) {
    if (blocks.isEmpty()) {
      return true;
    }
    InetAddress plain = unmapped(a);
    for (Block b : blocks) {
      if (b.contains(plain)) {
        return true;
      }
    }
    return false;
  }

  private static InetAddress unmapped(InetAddress a) {
    byte[] b = a.getAddress();
    if (b.length == 16) {
      boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
      for (int i = 0; i < 10 && mapped; i++) {
        mapped = b[i] == 0;
      }
      if (mapped) {
        try {
          return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
        } catch (UnknownHostException e) {
          return a;
        }
      }
    }
    return a;
  }

  /**
   * Parses {@code 127.0.0.0/8,::1/128,198.18.0.0/15}; a bare address is a block of one.
   *
   * @param text the blocks, comma-separated
   * @return the blocks
   * @throws IllegalArgumentException with a one-line reason when a block is malformed
   */
  public static Cidrs parse(String text) {
    List<Block> out = new ArrayList<>();
    for (String part : text.split(",", -1)) {
      String p = part.strip();
      if (p.isEmpty()) {
        throw new IllegalArgumentException("empty block in --allow '" + text + "'");
      }
      int slash = p.indexOf('/');
      String addr = slash < 0 ? p : p.substring(0, slash);
      byte[] net = literal(addr, p);
      int prefix = net.length * 8;
      if (slash >= 0) {
        String len = p.substring(slash + 1);
        if (!len.matches("\\d{1,3}") || Integer.parseInt(len) > net.length * 8) {
          throw new IllegalArgumentException(
              "bad prefix length in '" + p + "': 0-" + net.length * 8);
        }
        prefix = Integer.parseInt(len);
      }
      out.add(new Block(net, prefix, p));
    }
    return new Cidrs(out);
  }

  // Only literals: a name here would need a lookup at start and would silently go stale.
  private static byte[] literal(String addr, String block) {
    boolean v4 = addr.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    boolean v6 = addr.contains(":") && addr.matches("[0-9A-Fa-f:.]+");
    if (!v4 && !v6) {
      throw new IllegalArgumentException(
          "bad block '" + block + "': an IPv4 or IPv6 address/prefix");
    }
    try {
      return InetAddress.getByName(addr).getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("bad block '" + block + "': " + e.getMessage());
    }
  }

  @Override
  public String toString() {
    return blocks.isEmpty() ? "any" : String.join(",", blocks.stream().map(Block::text).toList());
  }
}
