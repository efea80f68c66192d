package dev.tcpdial;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tcpdial.internal.nat.NativeLoop;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The engines a probe test runs on: every backend that can carry a probe (io_uring, epoll, the
 * JDK), each skipped with the reason where this machine cannot run it.
 */
public final class TestEngines {
  private TestEngines() {}

  /** The engines that run, in results: {@link Engine#URING}, {@link Engine#EPOLL}, {@link Engine#JDK}. */
  public static Stream<Engine> backends() {
    return Stream.of(Engine.URING, Engine.EPOLL, Engine.JDK);
  }

  /** Every backend in both modes. */
  public static Stream<Arguments> backendsAndModes() {
    return backends().flatMap(e -> Stream.of(Mode.values()).map(m -> Arguments.of(e, m)));
  }

  /** Skips the test, saying why, where {@code engine} cannot run here. */
  public static void assumeRuns(Engine engine) {
    if (engine.isNative()) {
      assumeTrue(NativeLoop.unavailable() == null, () -> "native engine: " + NativeLoop.unavailable());
    }
    if (engine == Engine.URING) {
      String why = NativeLoop.uringUnavailable();
      assumeTrue(why == null, () -> "io_uring: " + why);
    }
  }
}
