package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.cli.process.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The exit status as every page shows it: the manual page's EXIT STATUS section, the help's
 * footer and EXIT_CODES.md say exactly what {@link ExitCodes#TABLE} says, every code, every
 * sentence whole.
 */
class ExitStatusPagesTest {
  /** The man page's EXIT STATUS section: each {@code .TP .B code} entry and its text, in order. */
  static Map<Integer, String> manEntries(String page) {
    List<String> lines = page.lines().toList();
    int from = lines.indexOf(".SH EXIT STATUS");
    assertThat(from).as("the page has an EXIT STATUS section").isNotNegative();
    Map<Integer, String> entries = new LinkedHashMap<>();
    for (int i = from + 1; i < lines.size() && !lines.get(i).startsWith(".SH"); i++) {
      if (lines.get(i).equals(".TP")) {
        assertThat(lines.get(i + 1)).startsWith(".B ");
        int code = Integer.parseInt(lines.get(i + 1).substring(3).strip());
        StringBuilder text = new StringBuilder();
        for (int k = i + 2; k < lines.size() && !lines.get(k).startsWith("."); k++) {
          text.append(text.isEmpty() ? "" : " ").append(lines.get(k));
        }
        assertThat(entries.put(code, unescape(text.toString()))).as("code %d once", code).isNull();
      }
    }
    return entries;
  }

  static String unescape(String troff) {
    return troff.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "");
  }

  /** EXIT_CODES.md's table: code to meaning, as plain text (no backticks, {@code \|} as |). */
  static Map<Integer, String> markdownEntries(String md) {
    Map<Integer, String> entries = new LinkedHashMap<>();
    for (String line : md.lines().toList()) {
      if (!line.matches("\\| \\d+ \\|.*")) {
        continue;
      }
      List<String> cells = new ArrayList<>();
      for (String c : line.replace("\\|", "\u0000").split("\\|")) {
        cells.add(c.replace("\u0000", "|").replace("`", "").strip());
      }
      entries.put(Integer.parseInt(cells.get(1)), cells.get(2));
    }
    return entries;
  }

  static Map<Integer, String> model() {
    Map<Integer, String> m = new LinkedHashMap<>();
    ExitCodes.TABLE.forEach(e -> m.put(e.code(), e.meaning()));
    return m;
  }

  @Test
  void theManPageSaysEveryCodeWhole() {
    String page = Cli.run("man").out();
    Map<Integer, String> man = manEntries(page);
    Map<Integer, String> model = model();
    assertThat(man.keySet()).containsExactlyElementsOf(model.keySet());
    assertThat(man.keySet()).contains(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 130, 143, 141);
    for (Map.Entry<Integer, String> e : model.entrySet()) {
      assertThat(man.get(e.getKey())).as("man page, code %d", e.getKey())
          .isEqualTo(e.getValue() + ".");
    }
    assertThat(man.get(1)).contains("write error on standard output");
    String section = page.substring(page.indexOf(".SH EXIT STATUS"), page.indexOf(".SH ENVIRONMENT"));
    assertThat(unescape(section.replace("\n", " "))).contains(ExitCodes.RANKING);
  }

  @Test
  void exitCodesMdSaysWhatTheModelSays() throws Exception {
    String md = Files.readString(Path.of("EXIT_CODES.md"));
    Map<Integer, String> table = markdownEntries(md);
    assertThat(table.keySet()).containsExactlyInAnyOrderElementsOf(model().keySet());
    for (Map.Entry<Integer, String> e : model().entrySet()) {
      assertThat(table.get(e.getKey())).as("EXIT_CODES.md, code %d", e.getKey())
          .isEqualTo(e.getValue());
    }
    String order = Arrays.stream(ExitCodes.SEVERITY).mapToObj(Integer::toString)
        .collect(Collectors.joining(", "));
    assertThat(md.replaceAll("\\s+", " ")).contains("from least to most severe: " + order + ".");
  }

  @Test
  void theHelpSaysEveryCodeWhole() {
    String help = Cli.run("--help").out().replaceAll("\\s+", " ");
    for (ExitCodes.Meaning e : ExitCodes.TABLE) {
      assertThat(help).as("tcpdial --help, code %d", e.code())
          .contains(" " + e.code() + " " + e.meaning() + ".");
    }
    assertThat(help).contains(ExitCodes.RANKING);
  }
}
