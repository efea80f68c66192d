package dev.tcpdial.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.Errno;
import dev.tcpdial.Outcome;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ErrnosTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "ECONNREFUSED, REFUSED", "ETIMEDOUT, TIMEOUT", "EHOSTUNREACH, HOST_UNREACHABLE",
      "EHOSTDOWN, HOST_UNREACHABLE", "ENONET, HOST_UNREACHABLE", "ENETUNREACH, NETWORK_UNREACHABLE",
      "ENETDOWN, NETWORK_UNREACHABLE", "EAFNOSUPPORT, NETWORK_UNREACHABLE",
      "EINVAL, NETWORK_UNREACHABLE", "EACCES, PROHIBITED", "EPERM, PROHIBITED",
      "EADDRNOTAVAIL, NO_LOCAL_ADDRESS", "EADDRINUSE, NO_LOCAL_ADDRESS", "EMFILE, LOCAL_RESOURCES",
      "ENFILE, LOCAL_RESOURCES", "ENOBUFS, LOCAL_RESOURCES", "ENOMEM, LOCAL_RESOURCES",
      "ECONNRESET, ERROR", "EPROTO, ERROR", "ENOPROTOOPT, ERROR", "EMSGSIZE, ERROR"})
  void everyErrnoHasItsOutcome(String errno, Outcome outcome) {
    assertThat(Errnos.outcomeOf(Errno.named(errno))).isEqualTo(outcome);
  }

  static Stream<Arguments> exceptions() {
    return Stream.of(
        Arguments.of(new ConnectException("Connection refused"), Outcome.REFUSED, "ECONNREFUSED"),
        Arguments.of(new ConnectException("Connection timed out"), Outcome.TIMEOUT, "ETIMEDOUT"),
        Arguments.of(new NoRouteToHostException("No route to host"), Outcome.HOST_UNREACHABLE, "EHOSTUNREACH"),
        Arguments.of(new SocketException("Network is unreachable"), Outcome.NETWORK_UNREACHABLE, "ENETUNREACH"),
        Arguments.of(new BindException("Cannot assign requested address"), Outcome.NO_LOCAL_ADDRESS, "EADDRNOTAVAIL"),
        Arguments.of(new BindException("Address already in use"), Outcome.NO_LOCAL_ADDRESS, "EADDRINUSE"),
        Arguments.of(new BindException("Permission denied"), Outcome.PROHIBITED, "EACCES"),
        Arguments.of(new SocketException("Operation not permitted"), Outcome.PROHIBITED, "EPERM"),
        Arguments.of(new SocketException("Too many open files"), Outcome.LOCAL_RESOURCES, "EMFILE"),
        Arguments.of(new SocketException("Invalid argument"), Outcome.NETWORK_UNREACHABLE, "EINVAL"),
        Arguments.of(new SocketException("Host is down"), Outcome.HOST_UNREACHABLE, "EHOSTDOWN"),
        Arguments.of(new ConnectException("Connection refused: /198.18.1.2:81"), Outcome.REFUSED, "ECONNREFUSED"),
        Arguments.of(new SocketTimeoutException("Connect timed out"), Outcome.TIMEOUT, null),
        Arguments.of(new ClosedByInterruptException(), Outcome.CANCELLED, null),
        Arguments.of(new AsynchronousCloseException(), Outcome.CANCELLED, null),
        Arguments.of(new SocketException("something new"), Outcome.ERROR, null),
        Arguments.of(new IOException("Protocol error"), Outcome.ERROR, "EPROTO"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("exceptions")
  void jdkExceptionsAreClassifiedByTypeAndErrnoText(Throwable t, Outcome outcome, String errno) {
    Errnos.Classified c = Errnos.classify(t);
    assertThat(c.outcome()).isEqualTo(outcome);
    assertThat(c.errno() == null ? null : c.errno().name()).isEqualTo(errno);
  }

  @org.junit.jupiter.api.Test
  void einvalOutsideConnectIsAPlainError() {
    assertThat(Errnos.classify(new SocketException("Invalid argument"), false).outcome())
        .isEqualTo(Outcome.ERROR);
  }
}
