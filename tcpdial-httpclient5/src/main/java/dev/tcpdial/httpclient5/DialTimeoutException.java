package dev.tcpdial.httpclient5;

import dev.tcpdial.DialException;
import dev.tcpdial.DialResult;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.core5.net.NamedEndpoint;

/**
 * A connect that timed out (the client's connect timeout, or the kernel's ETIMEDOUT): the
 * client's own {@link ConnectTimeoutException} (a {@link java.net.SocketTimeoutException}), with
 * tcpdial's {@link DialResult}.
 */
public final class DialTimeoutException extends ConnectTimeoutException implements DialFailure {
  private static final long serialVersionUID = 1L;

  private final transient DialResult result;

  /**
   * A connect timeout towards {@code host}.
   *
   * @param host the endpoint the client connected to
   * @param cause the dial's failure
   */
  public DialTimeoutException(NamedEndpoint host, DialException cause) {
    super("Connect to " + host + " timed out: " + cause.getMessage(), host);
    this.result = cause.result();
    initCause(cause);
  }

  @Override
  public DialResult result() {
    return result;
  }
}
