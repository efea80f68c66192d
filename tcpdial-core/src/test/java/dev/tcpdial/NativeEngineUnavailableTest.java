package dev.tcpdial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tcpdial.internal.nat.Loopback;
import dev.tcpdial.internal.nat.NativeLoop;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Where the native engine cannot run, the default falls back to the JDK engine, and a forced
 * {@link Engine#NATIVE} ends every probe {@code error} with no attempt, never silently on the JDK.
 */
class NativeEngineUnavailableTest {

  @Test
  void aSocketConfigurerKeepsTheDefaultOnTheJdkAndFailsAForcedNative() throws Exception {
    try (Loopback lo = new Loopback()) {
      int refused = lo.refusing(Loopback.V4);
      SocketConfigurer c = ch -> ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
      try (Dialer d = Dialer.builder().socketConfigurer(c).build()) {
        assertThat(d.probeEngine()).isEqualTo(Engine.JDK);
        DialResult r = d.probe(new Target("127.0.0.1", refused));
        assertThat(r.engine()).isEqualTo(Engine.JDK);
        assertThat(r.outcome()).isEqualTo(Outcome.REFUSED);
      }
      for (Mode m : Mode.values()) {
        try (Dialer d = Dialer.builder().mode(m).socketConfigurer(c).engine(Engine.NATIVE).build()) {
          assertThat(d.probeEngine()).isEqualTo(Engine.NATIVE);
          DialResult r = d.probeAsync(new Target("127.0.0.1", refused)).get(10, TimeUnit.SECONDS);
          assertThat(r.engine()).isEqualTo(Engine.NATIVE);
          assertThat(r.outcome().label()).isEqualTo("error");
          assertThat(r.errno()).isNull();
          assertThat(r.attempts()).isEmpty();
          assertThat(d.probe(new Target("127.0.0.1", refused)).outcome()).isEqualTo(Outcome.ERROR);
        }
      }
    }
  }

  @Test
  void withoutNativeAccessTheDefaultIsTheJdkAndAForcedNativeFails() throws Exception {
    try (Loopback lo = new Loopback()) {
      int refused = lo.refusing(Loopback.V4);
      String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
      Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
          Child.class.getName(), Integer.toString(refused)))
          .redirectErrorStream(true).start();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(out).contains("unavailable: the native engine needs native access")
          .contains("default JDK JDK refused ECONNREFUSED")
          .contains("forced NATIVE NATIVE error null 0");
    }
  }

  /**
   * With io_uring switched off ({@code kernel.io_uring_disabled=2}, as root; the old value is put
   * back before anything else is checked), the default takes epoll and says why, {@link
   * Engine#NATIVE} takes epoll too, and a forced {@link Engine#URING} fails every probe with the
   * kernel's reason, in a scan ({@link Dialer#probeEach}) too; afterwards the default takes io_uring again.
   */
  @Test
  void withIoUringDisabledTheDefaultFallsBackToEpollAndAForcedUringFails() throws Exception {
    Path ctl = Path.of("/proc/sys/kernel/io_uring_disabled");
    assumeTrue(NativeLoop.unavailable() == null, () -> "native engine: " + NativeLoop.unavailable());
    assumeTrue(NativeLoop.uringUnavailable() == null, () -> "io_uring: "
        + NativeLoop.uringUnavailable());
    assumeTrue(Files.exists(ctl) && "root".equals(System.getProperty("user.name")),
        "needs root and kernel.io_uring_disabled (Linux 6.6) to switch io_uring off");
    try (Loopback lo = new Loopback()) {
      int refused = lo.refusing(Loopback.V4);
      Target t = new Target("127.0.0.1", refused);
      String old = Files.readString(ctl).trim();
      Engine auto;
      String autoWhy;
      DialResult autoResult;
      Engine nativeEngine;
      DialResult forced;
      List<DialResult> scanned = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
      long scannedCount;
      Dialer early = Dialer.builder().engine(Engine.URING).build(); // io_uring still there
      Files.writeString(ctl, "2");
      try (early;
          Dialer a = Dialer.builder().build();
          Dialer n = Dialer.builder().engine(Engine.NATIVE).build();
          Dialer u = Dialer.builder().engine(Engine.URING).build()) {
        auto = a.probeEngine();
        autoWhy = a.probeEngineReason();
        nativeEngine = n.probeEngine();
        a.prestart();
        forced = u.probe(t);
        autoResult = a.probe(t);
        // A scan on a forced io_uring whose rings the kernel refuses from now on (the dialer was
        // made before): no scan loop starts, yet every target gets its one result, no exception.
        scannedCount = early.probeEach(List.of(t, t, t).iterator(), 64, scanned::add);
      } finally {
        Files.writeString(ctl, old);
      }
      assertThat(auto).isEqualTo(Engine.EPOLL);
      assertThat(nativeEngine).isEqualTo(Engine.EPOLL);
      assertThat(autoWhy).startsWith("epoll: io_uring not taken: io_uring_setup: EPERM");
      assertThat(autoResult.engine()).isEqualTo(Engine.EPOLL);
      assertThat(autoResult.outcome()).isEqualTo(Outcome.REFUSED);
      assertThat(forced.engine()).isEqualTo(Engine.URING);
      assertThat(forced.outcome()).isEqualTo(Outcome.ERROR);
      assertThat(forced.attempts()).isEmpty();
      assertThat(forced.detail()).contains("EPERM").contains("kernel.io_uring_disabled");
      assertThat(scannedCount).isEqualTo(3);
      assertThat(scanned).hasSize(3).allSatisfy(r -> {
        assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(r.engine()).isEqualTo(Engine.URING);
        assertThat(r.errno()).isEqualTo(Errno.EPERM);
        assertThat(r.detail()).contains("could not start its loop").contains("EPERM");
      });
      try (Dialer a = Dialer.builder().build()) {
        assertThat(a.probeEngine()).isEqualTo(Engine.URING);
        assertThat(a.probe(t).engine()).isEqualTo(Engine.URING);
      }
    }
  }

  /** Runs in a JVM without native access: prints what each dialer did. */
  public static final class Child {
    public static void main(String[] args) {
      Target t = new Target("127.0.0.1", Integer.parseInt(args[0]));
      System.out.println("unavailable: " + NativeLoop.unavailable());
      try (Dialer d = Dialer.builder().connectTimeout(Duration.ofSeconds(5)).build()) {
        DialResult r = d.probe(t);
        System.out.println("default " + d.probeEngine() + " " + r.engine() + " " + r.outcome().label()
            + " " + (r.errno() == null ? null : r.errno().name()));
      }
      try (Dialer d = Dialer.builder().engine(Engine.NATIVE).build()) {
        DialResult r = d.probe(t);
        System.out.println("forced " + d.probeEngine() + " " + r.engine() + " " + r.outcome().label()
            + " " + r.errno() + " " + r.attempts().size());
      }
    }
  }
}
