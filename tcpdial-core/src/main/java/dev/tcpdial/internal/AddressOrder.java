package dev.tcpdial.internal;

import dev.tcpdial.Family;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The order in which a name's addresses are dialed (RFC 8305 section 4): the families interleaved,
 * starting with the family of the resolver's first address, "First Address Family Count" 1;
 * duplicates removed; addresses of a family the dialer may not use left out. A pure function.
 */
public final class AddressOrder {
  private AddressOrder() {}

  /** The dial order of {@code resolved} for port {@code port}. */
  public static List<InetSocketAddress> plan(List<InetAddress> resolved, Family family, int port) {
    List<InetAddress> first = new ArrayList<>();
    List<InetAddress> second = new ArrayList<>();
    Boolean firstIsV6 = null;
    for (InetAddress a : new LinkedHashSet<>(resolved)) {
      if (!family.allows(a)) {
        continue;
      }
      boolean v6 = a instanceof Inet6Address;
      if (firstIsV6 == null) {
        firstIsV6 = v6;
      }
      (v6 == firstIsV6 ? first : second).add(a);
    }
    List<InetSocketAddress> out = new ArrayList<>(first.size() + second.size());
    for (int i = 0; i < Math.max(first.size(), second.size()); i++) {
      if (i < first.size()) {
        out.add(new InetSocketAddress(first.get(i), port));
      }
      if (i < second.size()) {
        out.add(new InetSocketAddress(second.get(i), port));
      }
    }
    return out;
  }
}
