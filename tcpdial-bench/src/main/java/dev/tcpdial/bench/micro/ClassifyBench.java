package dev.tcpdial.bench.micro;

import dev.tcpdial.internal.Errnos;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Outcome classification of the exceptions a JDK connect throws: an exact strerror text (map hit),
 * a decorated text (the prefix/suffix scan), our own timeout (type only), and a text that is no
 * errno at all (the whole scan, then the type).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class ClassifyBench {

  final Throwable refused = new ConnectException("Connection refused");
  final Throwable unreachable = new NoRouteToHostException("No route to host");
  final Throwable netDown = new SocketException("Network is unreachable");
  final Throwable decorated = new ConnectException("Connection refused: /198.18.1.2:81");
  final Throwable timeout = new SocketTimeoutException("Connect timed out");
  final Throwable unknown = new IOException("something else entirely");

  @Benchmark
  public Object refusedExact() {
    return Errnos.classify(refused);
  }

  @Benchmark
  public Object hostUnreachableExact() {
    return Errnos.classify(unreachable);
  }

  @Benchmark
  public Object networkUnreachableExact() {
    return Errnos.classify(netDown);
  }

  @Benchmark
  public Object refusedDecorated() {
    return Errnos.classify(decorated);
  }

  @Benchmark
  public Object ourTimeout() {
    return Errnos.classify(timeout);
  }

  @Benchmark
  public Object noErrnoText() {
    return Errnos.classify(unknown);
  }
}
