package dev.tcpdial.socketfactory;

import dev.tcpdial.DialException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;

/**
 * Turns a {@link DialException} into the JDK exception type a blocking {@code Socket.connect}
 * would have thrown for the same outcome, so that clients which branch on the type (pgjdbc says
 * "Connection refused" for a {@link ConnectException}) keep doing so. The {@link DialException}
 * is the cause: outcome, errno and every attempt stay reachable.
 */
final class Failures {
  private Failures() {}

  static IOException toJdk(DialException e) {
    String m = e.getMessage();
    IOException jdk = switch (e.outcome()) {
      case REFUSED, PROHIBITED -> new ConnectException(m);
      case HOST_UNREACHABLE, NETWORK_UNREACHABLE -> new NoRouteToHostException(m);
      case TIMEOUT -> new SocketTimeoutException(m);
      case NO_LOCAL_ADDRESS -> new BindException(m);
      case RESOLUTION_FAILED -> new UnknownHostException(m);
      case CANCELLED -> new InterruptedIOException(m);
      case LOCAL_RESOURCES, ERROR, CONNECTED -> new SocketException(m);
    };
    jdk.initCause(e);
    return jdk;
  }
}
