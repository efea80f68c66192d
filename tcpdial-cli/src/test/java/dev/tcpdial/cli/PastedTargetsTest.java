package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.cli.process.UsageException;
import dev.tcpdial.cli.targets.Loopback;
import dev.tcpdial.cli.targets.Pasted;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Targets as people paste them: tcping's {@code HOST PORT}, URLs with the scheme's port, lists of
 * {@code host:port}; what is ambiguous gets a one-line "did you mean" instead of a guess.
 */
class PastedTargetsTest {
  @Test
  void urlsTakeTheSchemesPort() {
    assertThat(Pasted.targets(List.of("https://example.test/"))).containsExactly("example.test:443");
    assertThat(Pasted.targets(List.of("http://example.test"))).containsExactly("example.test:80");
    assertThat(Pasted.targets(List.of("postgres://db.test:5433/app"))).containsExactly("db.test:5433");
    assertThat(Pasted.targets(List.of("postgres://db.test/app"))).containsExactly("db.test:5432");
    assertThat(Pasted.targets(List.of("postgresql://u:pw@db.test/app?sslmode=require")))
        .containsExactly("db.test:5432");
    assertThat(Pasted.targets(List.of("jdbc:postgresql://db.test/app"))).containsExactly("db.test:5432");
    assertThat(Pasted.targets(List.of("jdbc:mysql://db.test:3307/app"))).containsExactly("db.test:3307");
    assertThat(Pasted.targets(List.of("redis://cache.test"))).containsExactly("cache.test:6379");
    assertThat(Pasted.targets(List.of("ssh://git@code.test/repo.git"))).containsExactly("code.test:22");
    assertThat(Pasted.targets(List.of("HTTPS://Example.test:8443/x#y"))).containsExactly("Example.test:8443");
    assertThat(Pasted.targets(List.of("http://[::1]:8080/"))).containsExactly("[::1]:8080");
    assertThat(Pasted.targets(List.of("wss://[fd00::1]/socket"))).containsExactly("[fd00::1]:443");
    assertThatThrownBy(() -> Pasted.targets(List.of("foo://svc.test/")))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("did you mean svc.test:PORT");
    assertThatThrownBy(() -> Pasted.targets(List.of("https://u:s3cret@[::1/")))
        .isInstanceOf(UsageException.class).message().doesNotContain("s3cret");
  }

  @Test
  void hostThenPortIsOneTarget() {
    assertThat(Pasted.targets(List.of("127.0.0.1", "19501"))).containsExactly("127.0.0.1:19501");
    assertThat(Pasted.targets(List.of("::1", "80"))).containsExactly("[::1]:80");
    assertThat(Pasted.targets(List.of("[::1]", "80", "db.test", "5432")))
        .containsExactly("[::1]:80", "db.test:5432");
    assertThat(Pasted.targets(List.of("a.test:80", "b.test", "443"))).containsExactly("a.test:80", "b.test:443");
    // a list of whole host:port targets in one word
    assertThat(Pasted.targets(List.of("a.test:80,b.test:443,[::1]:22")))
        .containsExactly("a.test:80", "b.test:443", "[::1]:22");
  }

  @Test
  void whatIsAmbiguousGetsADidYouMean() {
    assertThatThrownBy(() -> Pasted.targets(List.of("127.0.0.1:80", "443")))
        .hasMessageContaining("did you mean 127.0.0.1:443");
    assertThatThrownBy(() -> Pasted.targets(List.of("127.0.0.1", "80", "443")))
        .hasMessageContaining("did you mean 127.0.0.1:443");
    assertThatThrownBy(() -> Pasted.targets(List.of("19501")))
        .hasMessageContaining("'19501' is a port without a host").hasMessageContaining("HOST:19501");
    assertThatThrownBy(() -> Pasted.targets(List.of("127.0.0.1:80,443")))
        .hasMessageContaining("did you mean 127.0.0.1:80 127.0.0.1:443");
    assertThatThrownBy(() -> Pasted.targets(List.of("db.test")))
        .hasMessageContaining("did you mean db.test:PORT");
    // an IPv6 address and a port, or one address? The command says how to write either
    assertThat(Cli.run("check", "fd00::1:80").err()).contains("[fd00::1]:80");
  }

  @Test
  void checkAndPingTakeTcpingsForm() throws Exception {
    try (Loopback.Open open = new Loopback.Open()) {
      String port = Integer.toString(open.port());
      Cli.Run r = Cli.run("check", "127.0.0.1", port, "--format", "json");
      assertThat(r.code()).as(r.err()).isZero();
      JsonNode row = r.json().getFirst();
      assertThat(row.get("target").asText()).isEqualTo("127.0.0.1:" + port);
      assertThat(row.get("outcome").asText()).isEqualTo("connected");

      Cli.Run p = Cli.run("ping", "-c", "2", "-i", "50ms", "127.0.0.1", port, "--format", "json");
      assertThat(p.code()).as(p.err()).isZero();
      assertThat(p.results()).hasSize(2).allSatisfy(n ->
          assertThat(n.get("target").asText()).isEqualTo("127.0.0.1:" + port));

      Cli.Run u = Cli.run("check", "postgres://app:s3cret@127.0.0.1:" + port + "/db", "--format", "json");
      assertThat(u.code()).as(u.err()).isZero();
      assertThat(u.json().getFirst().get("target").asText()).isEqualTo("127.0.0.1:" + port);
      assertThat(u.out() + u.err()).doesNotContain("s3cret");

      Cli.Run s = Cli.run("scan", "http://127.0.0.1:" + port + "/", "--format", "json");
      assertThat(s.code()).as(s.err()).isZero();
      assertThat(s.results()).extracting(n -> n.get("target").asText())
          .containsExactly("127.0.0.1:" + port);
    }
  }

  @Test
  void checkSaysDidYouMeanInOneLine() {
    for (String[] args : new String[][] {{"check", "127.0.0.1"}, {"check", "127.0.0.1:80", "443"},
        {"ping", "-c", "1", "19501"}, {"scan", "127.0.0.1", "19501"}, {"check", "foo://h.test/"}}) {
      Cli.Run r = Cli.run(args);
      assertThat(r.code()).as(String.join(" ", args)).isEqualTo(ExitCodes.USAGE);
      assertThat(r.err().strip()).as(r.err()).contains("did you mean").doesNotContain("\n");
      assertThat(r.out()).isEmpty();
    }
    assertThat(Cli.run("scan", "127.0.0.1", "19501").err()).contains("127.0.0.1:19501")
        .contains("-p 19501");
  }
}
