package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.cli.targets.Loopback;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The options of the pictures: several ping targets, --plot where it cannot be, --report FILE. */
class PicturesOptionsTest {

  @Test
  void pingTakesSeveralTargetsEachWithItsStatistics() throws Exception {
    try (Loopback.Open open = new Loopback.Open()) {
      int closed = Loopback.closedPort();
      String a = "127.0.0.1:" + open.port();
      String b = "127.0.0.1:" + closed;
      Cli.Run r = Cli.run("ping", "-c", "3", "-i", "20ms", "--format", "json", a, b);
      assertThat(r.code()).as("one target never connected: its failure counts").isEqualTo(ExitCodes.REFUSED);
      assertThat(r.results()).hasSize(6);
      assertThat(r.results().stream().filter(n -> n.get("target").asText().equals(b))
          .allMatch(n -> n.get("outcome").asText().equals("refused"))).isTrue();
      JsonNode ping = r.summary().get("ping");
      assertThat(ping.isArray()).isTrue();
      assertThat(ping.get(0).get("target").asText()).isEqualTo(a);
      assertThat(ping.get(0).get("connected").asInt()).isEqualTo(3);
      assertThat(ping.get(1).get("target").asText()).isEqualTo(b);
      assertThat(ping.get(1).get("failed_by_outcome").get("refused").asInt()).isEqualTo(3);
      Cli.Run text = Cli.run("ping", "-c", "2", "-i", "20ms", a, a.replace("127.0.0.1", "[::1]")
          .replace(":" + open.port(), ":" + closed));
      assertThat(text.out()).contains("--- " + a + " tcpdial ping statistics ---")
          .contains("--- [::1]:" + closed + " tcpdial ping statistics ---");
      Cli.Run one = Cli.run("ping", "-c", "1", "--format", "json", a);
      assertThat(one.summary().get("ping").isObject()).as("one target: as before").isTrue();
    }
  }

  @Test
  void plotWhereItCannotBeIsAUsageError() {
    Cli.Run r = Cli.run("ping", "--plot", "-c", "1", "127.0.0.1:1");
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).contains("--plot needs a terminal on stdout").hasLineCount(1);
    Cli.Run json = Cli.run("ping", "--plot", "--format", "json", "-c", "1", "127.0.0.1:1");
    assertThat(json.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(json.err()).contains("text output only").hasLineCount(1);
    Cli.Run twice = Cli.run("ping", "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:1");
    assertThat(twice.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(twice.err()).contains("a target given twice: 127.0.0.1:1").hasLineCount(1);
    Cli.Run lines = Cli.run("ping", "--no-plot", "-c", "1", "127.0.0.1:1");
    assertThat(lines.out()).startsWith("seq=1");
  }

  @Test
  void reportFileIsCheckedBeforeTheRun(@TempDir Path dir) throws Exception {
    Cli.Run r = Cli.run("scan", "127.0.0.1:1", "--report", dir.resolve("no/such/x.html").toString());
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).contains("no such directory").hasLineCount(1);
    Cli.Run d = Cli.run("ping", "-c", "1", "--report", dir.toString(), "127.0.0.1:1");
    assertThat(d.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(d.err()).contains("is a directory");
    Path page = dir.resolve("ping.html");
    Cli.Run ok = Cli.run("ping", "-c", "2", "-i", "20ms", "--report", page.toString(), "127.0.0.1:1");
    assertThat(ok.code()).isEqualTo(ExitCodes.REFUSED);
    assertThat(Files.readString(page)).contains("tcpdial ping report")
        .contains("2 sent, 0 connected, 2 failed (refused 2)");
    assertThat(dir.toFile().list()).containsExactly("ping.html"); // no temporary file left
  }
}
