package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tcpdial.cli.process.ExitCodes;
import dev.tcpdial.cli.targets.Loopback;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad lines in a target file or on stdin are named (file:line: why), skipped and counted, the
 * scan goes on with the others, and the exit status says that some input was bad; an exclusion
 * that leaves nothing is an empty scan with its summary, as in nmap.
 */
class BadLinesTest {
  @TempDir
  Path dir;

  /** Good lines (closed ports of ours) around every kind of bad line. */
  private byte[] mixed(int a, int b, int c) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(("127.0.0.1:" + a + "=closed\n").getBytes(StandardCharsets.UTF_8));
    out.writeBytes("127.0.0.1:80:80\n".getBytes(StandardCharsets.UTF_8)); // 2: two ':'
    out.writeBytes(("127.0.0.1:" + b + "\n").getBytes(StandardCharsets.UTF_8));
    out.writeBytes("h\u00f4te:80\n".getBytes(StandardCharsets.ISO_8859_1)); // 4: not UTF-8
    out.writeBytes(("127.0.0.1:" + a + "=open\n").getBytes(StandardCharsets.UTF_8)); // 5: two expectations
    out.writeBytes(("x".repeat(5000) + "\n").getBytes(StandardCharsets.UTF_8)); // 6: too long
    out.writeBytes(("127.0.0.1:" + c + "\n").getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  private static void badLinesSaid(Cli.Run r, String name) {
    List<String> err = r.err().lines().toList();
    assertThat(err).as(r.err()).hasSize(4);
    assertThat(err.get(0)).startsWith("tcpdial scan: " + name + ":2: ").contains("more than one ':'");
    assertThat(err.get(1)).startsWith("tcpdial scan: " + name + ":4: ").contains("not UTF-8");
    assertThat(err.get(2)).startsWith("tcpdial scan: " + name + ":5: ")
        .contains("expected open here but closed earlier");
    assertThat(err.get(3)).startsWith("tcpdial scan: " + name + ":6: ").contains("longer than");
    assertThat(r.err()).doesNotContain("xxxxxxxxxx");
    Cli.assertNoStackTrace(r.err());
  }

  @Test
  void aFileGoesOnPastItsBadLines() throws Exception {
    int a = Loopback.closedPort();
    int b = Loopback.closedPort();
    int c = Loopback.closedPort();
    Path f = dir.resolve("targets.txt");
    Files.write(f, mixed(a, b, c));
    Cli.Run r = Cli.run("scan", "-f", f.toString(), "--format", "json", "--no-progress");
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(r.results()).extracting(n -> n.get("port").asInt()).containsExactlyInAnyOrder(a, b, c);
    JsonNode s = r.summary();
    assertThat(s.get("bad_lines").asInt()).isEqualTo(4);
    assertThat(s.get("exit_code").asInt()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(s.get("total").asInt()).isEqualTo(3);
    badLinesSaid(r, f.toString());

    Cli.Run text = Cli.run("scan", "-f", f.toString(), "--no-progress", "--all");
    assertThat(text.code()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(text.out()).contains("3 targets: 3 refused").contains("4 bad input lines skipped");
  }

  @Test
  void stdinGoesOnPastItsBadLines() throws Exception {
    int a = Loopback.closedPort();
    int b = Loopback.closedPort();
    int c = Loopback.closedPort();
    InputStream saved = System.in;
    try {
      System.setIn(new ByteArrayInputStream(mixed(a, b, c)));
      Cli.Run r = Cli.run("scan", "-", "--format", "json", "--no-progress");
      assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.BAD_INPUT);
      assertThat(r.results()).extracting(n -> n.get("port").asInt()).containsExactlyInAnyOrder(a, b, c);
      assertThat(r.summary().get("bad_lines").asInt()).isEqualTo(4);
      badLinesSaid(r, "stdin");
    } finally {
      System.setIn(saved);
    }
  }

  @Test
  void aBadFirstLineIsSkippedToo() throws Exception {
    int a = Loopback.closedPort();
    Path f = dir.resolve("first.txt");
    Files.writeString(f, "not a target\n127.0.0.1:" + a + "\n");
    Cli.Run r = Cli.run("scan", "-f", f.toString(), "--format", "csv", "--no-progress");
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(r.lines()).hasSize(2); // the header and the one good target
    assertThat(r.err()).contains(f + ":1: white space inside a target");
  }

  @Test
  void onlyBadLinesIsAnEmptyScanThatSaysSo() throws Exception {
    Path f = dir.resolve("shadow");
    Files.writeString(f, "root:$y$j9T$S3CRETHASHxyz:19000:0:99999:7:::\nuser:*:1:0:::\n");
    Cli.Run r = Cli.run("scan", "-f", f.toString(), "--format", "json");
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(r.results()).isEmpty();
    assertThat(r.summary().get("bad_lines").asInt()).isEqualTo(2);
    assertThat(r.err().lines().toList()).hasSize(2).allMatch(l -> l.startsWith("tcpdial scan: " + f + ":"));
    assertThat(r.err() + r.out()).doesNotContain("S3CRET").doesNotContain("root").doesNotContain("user");
  }

  @Test
  void excludingEveryTargetIsAnEmptyScanWithASummary() throws Exception {
    int a = Loopback.closedPort();
    Cli.Run r = Cli.run("scan", "127.0.0.1", "-p", Integer.toString(a), "--exclude", "127.0.0.0/8",
        "--format", "json");
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.err()).isEmpty();
    assertThat(r.results()).isEmpty();
    JsonNode s = r.summary();
    assertThat(s.get("total").asInt()).isZero();
    assertThat(s.get("targets").asInt()).isZero();
    assertThat(s.get("excluded").asInt()).isEqualTo(1);

    Cli.Run text = Cli.run("scan", "127.0.0.1", "127.0.0.2", "-p", a + "," + (a + 1),
        "--exclude", "127.0.0.1-2");
    assertThat(text.code()).as(text.err()).isEqualTo(ExitCodes.OK);
    assertThat(text.out()).contains("0 targets: none").contains("4 targets excluded");
  }

  @Test
  void noTargetAtAllIsStillAUsageError() {
    Cli.Run r = Cli.run("scan", "--no-progress");
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).contains("no targets");
  }
}
