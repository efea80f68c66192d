package dev.tcpdial.internal;

import dev.tcpdial.Resolver;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * {@link Resolver#system()}: the JDK's resolver. One instance, so that the lookups of every dialer
 * using it coalesce in {@link Lookups} (they are keyed by resolver and name).
 */
public final class SystemResolver implements Resolver {
  /** The one instance. */
  public static final Resolver INSTANCE = new SystemResolver();

  private SystemResolver() {}

  @Override
  public List<InetAddress> resolve(String host) throws UnknownHostException {
    return List.of(InetAddress.getAllByName(host));
  }

  @Override
  public String toString() {
    return "the system resolver";
  }
}
