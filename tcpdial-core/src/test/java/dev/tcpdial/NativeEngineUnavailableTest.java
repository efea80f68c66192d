package dev.tcpdial;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.internal.nat.Loopback;
import dev.tcpdial.internal.nat.NativeLoop;
import java.io.File;
import java.nio.charset.StandardCharsets;
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
