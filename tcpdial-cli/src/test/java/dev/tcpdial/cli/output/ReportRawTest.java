package dev.tcpdial.cli.output;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.DialResult;
import dev.tcpdial.Engine;
import dev.tcpdial.Errno;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.PortState;
import dev.tcpdial.Target;
import dev.tcpdial.cli.Cli;
import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** JSON rows written as bytes straight to stdout read exactly as those through the writer. */
class ReportRawTest {

  static List<Row> rows() throws Exception {
    InetSocketAddress to = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 81);
    DialResult refused = new DialResult(Target.parse("127.0.0.1:81"), Outcome.REFUSED,
        Errno.ECONNREFUSED, to, null, Duration.ofNanos(123_456), Duration.ZERO,
        List.of(to.getAddress()), Mode.ASYNC, Engine.NATIVE, List.of());
    DialResult error = new DialResult(Target.parse("[fd00::1]:80"), Outcome.ERROR, null, null, null,
        Duration.ofMillis(2), Duration.ZERO, List.of(), Mode.SYNC, Engine.JDK, List.of(),
        "Verbindung \"zurückgesetzt\" — ü\tß");
    return List.of(new Row(refused, null, -1, null), new Row(error, PortState.OPEN, -1, null));
  }

  static OutputOptions json() {
    OutputOptions o = new OutputOptions();
    o.format = OutputOptions.Format.JSON;
    return o;
  }

  @Test
  void rawRowsThenTheSummaryInOrderAndUtf8() throws Exception {
    StringWriter expected = new StringWriter();
    Report viaWriter = new Report(new PrintWriter(expected), new PrintWriter(new StringWriter()),
        json(), true, false, false).compact(true);
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    PrintWriter writer = new PrintWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8));
    Report viaBytes = new Report(writer, new PrintWriter(new StringWriter()), json(), true, false,
        false).compact(true).rawStdout(stdout);
    for (Report r : List.of(viaWriter, viaBytes)) {
      r.begin();
      for (Row row : rows()) {
        r.row(row);
      }
      r.summary(new java.util.LinkedHashMap<>(Map.of("command", "scan")), List.of());
    }
    String got = stdout.toString(StandardCharsets.UTF_8);
    assertThat(got).isEqualTo(expected.toString());
    List<String> lines = got.lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(1)).contains("zur\u00fcckgesetzt\\\" \u2014 \u00fc \u00df");
    assertThat(lines.get(2)).startsWith("{\"summary\":");
    for (String l : lines) {
      Cli.JSON.readTree(l);
    }
  }
}
