package dev.tcpdial.httpclient5;

import dev.tcpdial.DialResult;

/**
 * A connect failure of {@link TcpdialConnectionOperator}: the exception the client throws also
 * carries tcpdial's result. Its cause is the {@link dev.tcpdial.DialException}.
 */
public interface DialFailure {
  /**
   * How the dial ended: outcome, errno, addresses and every attempt.
   *
   * @return the dial's result
   */
  DialResult result();
}
