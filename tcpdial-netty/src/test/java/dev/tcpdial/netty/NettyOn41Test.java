package dev.tcpdial.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.Dialer;
import java.io.File;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * tcpdial-netty needs Netty 4.2 (its {@code IoEventLoop} API). On Netty 4.1 (the jars the build
 * copies to {@code target/netty-4.1}) making a {@link NettyDialer} fails at once with one line
 * that says so, instead of a {@code NoClassDefFoundError} at the first connect.
 */
class NettyOn41Test {

  private static String location(Class<?> c) throws URISyntaxException {
    return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }

  @Test
  void onNetty41TheConstructorSaysWhatIsNeeded() throws Exception {
    Path netty41 = Path.of("target", "netty-4.1");
    List<String> jars;
    try (Stream<Path> s = Files.list(netty41)) {
      jars = s.map(Path::toString).filter(p -> p.endsWith(".jar")).sorted().toList();
    }
    assertThat(jars).as("Netty 4.1's jars, copied by the build").hasSize(4);
    String cp = Stream.concat(Stream.of(location(NettyOn41Probe.class),
        location(NettyDialer.class), location(Dialer.class)), jars.stream())
        .collect(Collectors.joining(File.pathSeparator));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", cp,
        NettyOn41Probe.class.getName()).redirectErrorStream(true).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(out).isEqualTo("java.lang.IllegalStateException: tcpdial-netty needs Netty 4.2 or"
        + " newer, and the class path has netty-transport 4.1.137.Final"
        + " (io.netty.channel.IoEventLoop is missing)");
  }
}
