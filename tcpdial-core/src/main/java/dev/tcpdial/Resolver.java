package dev.tcpdial;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;

/**
 * Turns a host name into addresses. The default asks the JDK ({@link InetAddress#getAllByName}),
 * which reads {@code /etc/hosts} and the system's resolver; tests inject their own.
 *
 * <p>A dial with a deadline calls the resolver on a thread of tcpdial's, shared by every dialer of
 * the JVM, and waits until its deadline at most: concurrent lookups of one name by one resolver
 * are made once, and a lookup that hangs (a name server that never answers) delays no other one.
 * Each distinct name in flight has a thread of its own, up to 512; the last 128 of those are kept
 * for domains with fewer than 4 lookups in flight, and names of the hosts file have 16 threads of
 * their own. Past those bounds a lookup waits for a thread within its dial's deadline, in turn
 * with the other domains. A dial without any deadline calls the resolver on its own thread.
 */
@FunctionalInterface
public interface Resolver {

  /**
   * Every address of {@code host}, best first. Blocks while it asks; the dialer bounds the wait
   * with its deadline.
   *
   * @param host the name to resolve
   * @return the addresses, best first, never empty
   * @throws UnknownHostException when the name does not exist or has no address
   */
  List<InetAddress> resolve(String host) throws UnknownHostException;

  /**
   * The JDK's resolver: {@code /etc/hosts}, then DNS, as the system is configured. The JDK puts
   * IPv4 addresses first unless the JVM runs with {@code -Djava.net.preferIPv6Addresses=system}
   * (the system's RFC 6724 order) or {@code =true}; Happy Eyeballs starts with the first
   * address's family.
   *
   * @return the system resolver
   */
  static Resolver system() {
    return dev.tcpdial.internal.SystemResolver.INSTANCE;
  }

  /**
   * A resolver that knows only {@code table} (names compared ignoring case) and fails every
   * other name. It never touches the network.
   *
   * @param table the names and their addresses
   * @return a resolver that knows only {@code table}
   */
  static Resolver of(Map<String, List<InetAddress>> table) {
    Map<String, List<InetAddress>> copy = new java.util.HashMap<>();
    table.forEach((k, v) -> copy.put(k.toLowerCase(java.util.Locale.ROOT), List.copyOf(v)));
    return host -> {
      List<InetAddress> found = copy.get(host.toLowerCase(java.util.Locale.ROOT));
      if (found == null || found.isEmpty()) {
        throw new UnknownHostException(host + ": no such name");
      }
      return found;
    };
  }
}
