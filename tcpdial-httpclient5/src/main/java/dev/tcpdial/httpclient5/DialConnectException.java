package dev.tcpdial.httpclient5;

import dev.tcpdial.DialException;
import dev.tcpdial.DialResult;
import org.apache.hc.client5.http.HttpHostConnectException;
import org.apache.hc.core5.net.NamedEndpoint;

/**
 * A connect that failed other than by a timeout (refused, unreachable, prohibited, no local
 * address...): the client's own {@link HttpHostConnectException}, so existing handlers still
 * match, with tcpdial's {@link DialResult}.
 */
public final class DialConnectException extends HttpHostConnectException implements DialFailure {
  private static final long serialVersionUID = 1L;

  private final transient DialResult result;

  /**
   * A failure to connect to {@code host}.
   *
   * @param host the endpoint the client connected to
   * @param cause the dial's failure
   */
  public DialConnectException(NamedEndpoint host, DialException cause) {
    super("Connect to " + host + " failed: " + cause.getMessage(), host);
    this.result = cause.result();
    initCause(cause);
  }

  @Override
  public DialResult result() {
    return result;
  }
}
