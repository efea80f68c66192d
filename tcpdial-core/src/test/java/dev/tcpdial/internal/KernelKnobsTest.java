package dev.tcpdial.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.Dialer;
import dev.tcpdial.Errno;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.DialResult;
import dev.tcpdial.Target;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class KernelKnobsTest {

  @BeforeEach
  void available() {
    Assumptions.assumeTrue(KernelKnobs.unavailable() == null,
        () -> "socket options cannot be set here: " + KernelKnobs.unavailable());
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void theOptionsReachTheSocket(Mode mode) throws Exception {
    try (ServerSocketChannel server = ServerSocketChannel.open()
            .bind(new InetSocketAddress("127.0.0.1", 0));
        Dialer d = Dialer.builder().mode(mode).synRetries(2).userTimeout(Duration.ofMillis(1500))
            .localAddress(InetAddress.ofLiteral("127.0.0.1")).build();
        SocketChannel ch = d.dial(Target.of((InetSocketAddress) server.getLocalAddress()))) {
      assertThat(Libc.getIntOption(ch, KernelKnobs.IPPROTO_TCP, KernelKnobs.TCP_SYNCNT)).isEqualTo(2);
      assertThat(Libc.getIntOption(ch, KernelKnobs.IPPROTO_TCP, KernelKnobs.TCP_USER_TIMEOUT))
          .isEqualTo(1500);
      assertThat(Libc.getIntOption(ch, KernelKnobs.IPPROTO_IP, KernelKnobs.IP_BIND_ADDRESS_NO_PORT))
          .isEqualTo(1);
    }
  }

  @Test
  void withoutAccessToTheDescriptorTheOptionSaysSoAtBuildTime() throws Exception {
    // A child JVM without --add-exports: asking for TCP_SYNCNT must fail loudly, not be ignored.
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), NoAccess.class.getName());
    pb.redirectErrorStream(true);
    Process p = pb.start();
    List<String> out = new ArrayList<>();
    try (var r = p.inputReader()) {
      r.lines().forEach(out::add);
    }
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(out).anySatisfy(l -> assertThat(l)
        .startsWith("synRetries cannot be set: ").contains("--add-exports java.base/sun.nio.ch"));
  }

  /** Run without --add-exports by the test above. */
  public static final class NoAccess {
    public static void main(String[] args) {
      System.out.println(Dialer.socketOptionsUnavailable().orElse("available?!"));
      try {
        Dialer.builder().synRetries(1).build();
        System.out.println("built?!");
      } catch (IllegalStateException e) {
        System.out.println(e.getMessage());
      }
    }
  }

  @Test
  void theLocalResourcesOutcomeWhenDescriptorsRunOut() throws Exception {
    // A child JVM with 160 descriptors at most dials 300 unanswered targets at once.
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder("prlimit", "--nofile=160:160", java,
        "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
        OutOfDescriptors.class.getName());
    pb.redirectErrorStream(true);
    Process p;
    try {
      p = pb.start();
    } catch (java.io.IOException e) {
      Assumptions.abort("prlimit (util-linux) is not installed: " + e.getMessage());
      return;
    }
    List<String> out = new ArrayList<>();
    try (var r = p.inputReader()) {
      r.lines().forEach(out::add);
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    for (String mode : List.of("sync", "async")) {
      assertThat(out).as(String.join("\n", out)).anySatisfy(l -> assertThat(l)
          .startsWith(mode + " local_resources EMFILE "));
      assertThat(out).anySatisfy(l -> assertThat(l).startsWith(mode + " timeout - "));
      assertThat(out).contains(mode + " after connected");
    }
  }

  /** Run with a low descriptor limit by the test above. */
  public static final class OutOfDescriptors {
    public static void main(String[] args) throws Exception {
      try (ServerSocketChannel live = ServerSocketChannel.open()
              .bind(new InetSocketAddress("127.0.0.1", 0), 512);
          ServerSocketChannel full = ServerSocketChannel.open()
              .bind(new InetSocketAddress("127.0.0.1", 0), 1)) {
        List<SocketChannel> fill = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          SocketChannel c = SocketChannel.open();
          c.configureBlocking(false);
          c.connect(full.getLocalAddress());
          fill.add(c);
        }
        Target silent = Target.of((InetSocketAddress) full.getLocalAddress());
        Target ok = Target.of((InetSocketAddress) live.getLocalAddress());
        for (Mode mode : Mode.values()) {
          try (Dialer d = Dialer.builder().mode(mode).connectTimeout(Duration.ofMillis(700)).build()) {
            // Classes load from a directory here, a file each: load them before descriptors run out.
            d.probeAsync(ok).get();
            d.probeAsync(silent).get();
            d.probeAsync(new Target("127.0.0.1", 1)).get();
            try (SocketChannel warm = d.dialAsync(ok).get()) {
              warm.isOpen();
            }
            d.probe(Target.parse("[::1]:1"));
            List<java.util.concurrent.CompletableFuture<DialResult>> all = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
              all.add(d.probeAsync(silent));
            }
            java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
            for (var f : all) {
              DialResult r = f.get(30, TimeUnit.SECONDS);
              counts.merge(r.outcome().label() + " " + (r.errno() == null ? "-" : r.errno().name()),
                  1, Integer::sum);
            }
            counts.forEach((k, v) -> System.out.println(mode.label() + " " + k + " " + v));
            DialResult after = d.probe(ok);
            System.out.println(mode.label() + " after " + after.outcome().label());
          }
        }
        for (SocketChannel c : fill) {
          c.close();
        }
      }
    }
  }
}
