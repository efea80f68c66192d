package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** Runs the CLI in this JVM with captured stdout and stderr. */
public final class Cli {
  public static final ObjectMapper JSON = new ObjectMapper();

  public record Run(int code, String out, String err) {
    List<String> lines() {
      return out.isEmpty() ? List.of() : List.of(out.split("\n"));
    }

    /** Every stdout line parsed as JSON; the last is the summary. */
    public List<JsonNode> json() {
      List<JsonNode> nodes = new ArrayList<>();
      for (String l : lines()) {
        try {
          nodes.add(JSON.readTree(l));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
          throw new UncheckedIOException("not JSON: " + l, e);
        }
      }
      return nodes;
    }

    public List<JsonNode> results() {
      List<JsonNode> all = json();
      assertThat(all).isNotEmpty();
      assertThat(all.getLast().has("summary")).as("last line is the summary: %s", out).isTrue();
      return all.subList(0, all.size() - 1);
    }

    JsonNode summary() {
      return json().getLast().get("summary");
    }
  }

  public static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine(args.length > 0 ? args[0] : null); // as the tool builds it
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  public static void assertNoStackTrace(String err) {
    assertThat(err).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("    at ");
  }

  private Cli() {}
}
