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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
      // said once, however many dialers fall back, with the flags that would avoid it
      assertThat(out.lines().filter(l -> l.contains("probes run on the JDK engine")))
          .as(out).singleElement().asString()
          .contains("WARNING: tcpdial: probes run on the JDK engine, not the native one:"
              + " native access is not enabled")
          .contains("--enable-native-access=ALL-UNNAMED")
          .contains("--add-exports java.base/sun.nio.ch=ALL-UNNAMED");
      Process granted = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED",
          "-cp", System.getProperty("java.class.path"), Child.class.getName(),
          Integer.toString(refused))).redirectErrorStream(true).start();
      assertThat(granted.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String grantedOut = new String(granted.getInputStream().readAllBytes(),
          StandardCharsets.UTF_8);
      assertThat(grantedOut).containsPattern("default (URING|EPOLL) (URING|EPOLL) refused")
          .doesNotContain("WARNING");
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
      String old = Files.readAllLines(ctl).get(0).trim(); // a sysctl file: one read of it all
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

  /**
   * A container's seccomp profile refuses io_uring (Docker's default answers {@code EPERM} for the
   * three io_uring calls, some sandboxes {@code ENOSYS}), or lets a ring be made and refuses what
   * comes next: in a child JVM with such a filter (no root, nothing outside that process touched),
   * the default takes epoll and says why, {@link Engine#NATIVE} takes epoll too, and a forced
   * {@link Engine#URING} fails every probe with that reason, one by one and in a scan.
   */
  @ParameterizedTest(name = "{1} from {0}")
  @CsvSource({
      "setup enter register, EPERM, io_uring_setup: EPERM",
      "setup, ENOSYS, io_uring_setup: ENOSYS",
      "register, EPERM, IORING_REGISTER_PROBE: EPERM",
      "enter, EPERM, io_uring_enter: EPERM",
      "enter, ENOSYS, io_uring_enter: ENOSYS",
  })
  void underASeccompFilterTheDefaultFallsBackToEpollAndAForcedUringFails(String calls,
      String errno, String why) throws Exception {
    assumeTrue(NativeLoop.unavailable() == null, () -> "native engine: " + NativeLoop.unavailable());
    assumeTrue(Seccomp.unsupported() == null, Seccomp::unsupported);
    try (Loopback lo = new Loopback()) {
      int refused = lo.refusing(Loopback.V4);
      String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
      Process p = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED",
          "-cp", System.getProperty("java.class.path"), Filtered.class.getName(),
          calls, errno, Integer.toString(refused)))
          .redirectErrorStream(true).start();
      boolean ended = p.waitFor(60, TimeUnit.SECONDS);
      if (!ended) {
        p.destroyForcibly();
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(ended).as(out).isTrue();
      assertThat(p.exitValue()).as(out).isZero();
      assertThat(out).contains("auto EPOLL epoll: io_uring not taken: " + why)
          .contains("auto-probe EPOLL refused ECONNREFUSED")
          .contains("native EPOLL")
          .containsPattern("forced URING error " + errno + " 0 .*" + why)
          .contains("each 3 [error " + errno + ", error " + errno + ", error " + errno + "]")
          // a forced io_uring dialer made before: its scan loops are refused, or stop at once
          .contains("early-each 3 [error " + errno + ", error " + errno + ", error " + errno + "]");
      // Loops that ran before the filter came: where entering the ring is refused from now on,
      // the probe in flight ends error with that errno (not cancelled) and says so; the next one
      // gets a new loop: epoll where io_uring was only the default, io_uring again where forced.
      if (calls.contains("enter")) {
        assertThat(out).contains("early-auto URING error " + errno
                + " the native loop stopped: io_uring_enter: " + errno)
            .contains("early-auto-again EPOLL refused ECONNREFUSED")
            .contains("early-auto-reason epoll: io_uring not taken: the native loop stopped:"
                + " io_uring_enter: " + errno)
            .contains("early-forced URING error " + errno + " the native loop stopped")
            .contains("early-forced-again URING error " + errno);
      } else { // the rings they have still work
        assertThat(out).contains("early-auto URING refused ECONNREFUSED null")
            .contains("early-forced URING refused ECONNREFUSED null");
      }
    }
  }

  /**
   * Runs under a seccomp filter that makes {@code args[0]} (io_uring calls: setup, enter,
   * register) fail with {@code args[1]}; prints what each dialer did.
   */
  public static final class Filtered {
    public static void main(String[] args) throws Throwable {
      java.util.List<Integer> calls = new java.util.ArrayList<>();
      for (String c : args[0].split(" ")) {
        calls.add(switch (c) {
          case "setup" -> Seccomp.IO_URING_SETUP;
          case "enter" -> Seccomp.IO_URING_ENTER;
          case "register" -> Seccomp.IO_URING_REGISTER;
          default -> throw new IllegalArgumentException(c);
        });
      }
      Target t = new Target("127.0.0.1", Integer.parseInt(args[2]));
      Dialer earlyAuto = Dialer.builder().build().prestart();
      Dialer earlyForced = Dialer.builder().engine(Engine.URING).build().prestart();
      Dialer earlyScan = Dialer.builder().engine(Engine.URING).build(); // no loop yet
      if (earlyAuto.probeEngine() != Engine.URING) {
        System.out.println("io_uring was not there to begin with: " + earlyAuto.probeEngineReason());
        System.exit(3);
      }
      Seccomp.deny(calls, Errno.named(args[1]).number());
      try (earlyAuto; earlyForced; earlyScan) {
        for (String[] d : new String[][] {{"early-auto", ""}, {"early-auto-again", ""},
            {"early-forced", ""}, {"early-forced-again", ""}}) {
          DialResult r = (d[0].contains("auto") ? earlyAuto : earlyForced).probe(t);
          System.out.println(d[0] + " " + r.engine() + " " + r.outcome().label() + " "
              + (r.errno() == null ? null : r.errno().name()) + " " + r.detail());
        }
        System.out.println("early-auto-reason " + earlyAuto.probeEngineReason());
        List<String> each = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        long n3 = earlyScan.probeEach(List.of(t, t, t).iterator(), 64, x -> each.add(
            x.outcome().label() + " " + (x.errno() == null ? null : x.errno().name())));
        System.out.println("early-each " + n3 + " " + each);
      }
      try (Dialer a = Dialer.builder().build();
          Dialer n = Dialer.builder().engine(Engine.NATIVE).build();
          Dialer u = Dialer.builder().engine(Engine.URING).build()) {
        System.out.println("auto " + a.probeEngine() + " " + a.probeEngineReason());
        DialResult r = a.probe(t);
        System.out.println("auto-probe " + r.engine() + " " + r.outcome().label() + " "
            + (r.errno() == null ? null : r.errno().name()));
        System.out.println("native " + n.probeEngine());
        DialResult f = u.probe(t);
        System.out.println("forced " + f.engine() + " " + f.outcome().label() + " "
            + (f.errno() == null ? null : f.errno().name()) + " " + f.attempts().size() + " "
            + f.detail());
        List<String> each = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        long n3 = u.probeEach(List.of(t, t, t).iterator(), 64, x -> each.add(x.outcome().label()
            + " " + (x.errno() == null ? null : x.errno().name())));
        System.out.println("each " + n3 + " " + each);
      }
    }
  }

  /** Runs in a JVM without native access: prints what each dialer did. */
  public static final class Child {
    public static void main(String[] args) {
      Target t = new Target("127.0.0.1", Integer.parseInt(args[0]));
      System.out.println("unavailable: " + NativeLoop.unavailable());
      for (int i = 0; i < 2; i++) {
        try (Dialer d = Dialer.builder().connectTimeout(Duration.ofSeconds(5)).build()) {
          DialResult r = d.probe(t);
          System.out.println("default " + d.probeEngine() + " " + r.engine() + " "
              + r.outcome().label() + " " + (r.errno() == null ? null : r.errno().name()));
        }
      }
      try (Dialer d = Dialer.builder().engine(Engine.NATIVE).build()) {
        DialResult r = d.probe(t);
        System.out.println("forced " + d.probeEngine() + " " + r.engine() + " " + r.outcome().label()
            + " " + r.errno() + " " + r.attempts().size());
      }
    }
  }
}
