package dev.tcpdial.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/prometheus and deploy/grafana: the rules pass {@code promtool check rules} and their unit
 * tests ({@code promtool test rules}: every alert fires when it should, with its description
 * expanded, the reason of a failure included); every alert or recording rule shown in the README
 * or docs/ is a verbatim part of the rule file (marked {@code <!-- rules: FILE -->}), so none is
 * shown untested; the Grafana dashboard is well formed (ids, grid, datasource, variables) and
 * every PromQL expression in it parses (promtool, as recording rules). promtool comes with
 * Debian's prometheus package (scripts/setup-test-deps.sh); without it the promtool checks skip.
 */
class PrometheusRulesTest {
  static final Path ROOT = DocsSnippetsTest.ROOT;
  static final Path RULES = ROOT.resolve("deploy/prometheus/tcpdial.rules.yml");
  static final Path RULE_TESTS = ROOT.resolve("deploy/prometheus/tests/tcpdial.rules.test.yml");
  static final Path DASHBOARD = ROOT.resolve("deploy/grafana/tcpdial-dashboard.json");
  static final Pattern MARKER = Pattern.compile("<!--\\s*rules:\\s*(\\S+)\\s*-->");

  @TempDir static Path tmp;
  static String promtool;

  @BeforeAll
  static void findPromtool() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, "promtool"))) {
        promtool = Path.of(dir, "promtool").toString();
        return;
      }
    }
  }

  record Run(int code, String out) {}

  static Run run(Path dir, String... cmd) throws IOException, InterruptedException {
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(out.toFile()).start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", cmd) + " did not end within 60 s");
    }
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
  }

  static void needPromtool() {
    assumeTrue(promtool != null,
        "no promtool on PATH (Debian's prometheus package: scripts/setup-test-deps.sh)");
  }

  @Test
  void theRulesPassPromtoolCheck() throws Exception {
    needPromtool();
    Run r = run(ROOT, promtool, "check", "rules", RULES.toString());
    assertThat(r.code()).as(r.out()).isZero();
    assertThat(r.out()).contains("SUCCESS: 17 rules found");
  }

  @Test
  void theRulesPassTheirUnitTests() throws Exception {
    needPromtool();
    Run r = run(RULE_TESTS.getParent(), promtool, "test", "rules", RULE_TESTS.getFileName().toString());
    assertThat(r.code()).as(r.out()).isZero();
    assertThat(r.out()).contains("SUCCESS");
  }

  @Test
  void aBrokenDescriptionFailsTheUnitTests() throws Exception {
    needPromtool();
    // the rule the README once showed: `with first` without an argument does not expand
    Path dir = Files.createDirectories(tmp.resolve("broken"));
    Files.writeString(dir.resolve("tcpdial.rules.yml"), Files.readString(RULES)
        .replace("{{ with . | first }}", "{{ with first }}"));
    Files.createDirectories(dir.resolve("tests"));
    Files.copy(RULE_TESTS, dir.resolve("tests/t.yml"));
    Run r = run(dir.resolve("tests"), promtool, "test", "rules", "t.yml");
    assertThat(r.code()).as(r.out()).isNotZero();
    assertThat(r.out()).contains("FAILED");
  }

  /** Every yaml block of the README and docs/ that holds an alert or a recording rule. */
  record Shown(Path file, int line, String marker, List<String> lines) {}

  static List<Shown> rulesShownInTheDocs() throws IOException {
    List<Path> docs = new ArrayList<>(List.of(ROOT.resolve("README.md")));
    if (Files.isDirectory(ROOT.resolve("docs"))) {
      try (Stream<Path> s = Files.list(ROOT.resolve("docs"))) {
        s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
      }
    }
    List<Shown> shown = new ArrayList<>();
    for (Path f : docs) {
      List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        if (!lines.get(i).strip().equals("```yaml")) {
          continue;
        }
        int start = i;
        List<String> block = new ArrayList<>();
        for (i++; i < lines.size() && !lines.get(i).strip().equals("```"); i++) {
          block.add(lines.get(i));
        }
        if (block.stream().anyMatch(l -> l.matches("\\s*-?\\s*(alert|record):.*"))) {
          String before = start > 0 ? lines.get(start - 1) : "";
          Matcher m = MARKER.matcher(before);
          shown.add(new Shown(f, start + 1, m.find() ? m.group(1) : null, block));
        }
      }
    }
    return shown;
  }

  /** Whether {@code block} appears in {@code file}, line for line, at one indentation. */
  static boolean contains(List<String> file, List<String> block) {
    String first = block.getFirst();
    for (int i = 0; i + block.size() <= file.size(); i++) {
      String f = file.get(i);
      if (!f.endsWith(first) || !f.substring(0, f.length() - first.length()).isBlank()) {
        continue;
      }
      String indent = f.substring(0, f.length() - first.length());
      boolean all = true;
      for (int k = 0; k < block.size() && all; k++) {
        String want = block.get(k).isEmpty() ? "" : indent + block.get(k);
        all = file.get(i + k).stripTrailing().equals(want.stripTrailing());
      }
      if (all) {
        return true;
      }
    }
    return false;
  }

  @Test
  void everyRuleShownInTheDocsIsOneOfTheTestedRules() throws IOException {
    List<Shown> shown = rulesShownInTheDocs();
    assertThat(shown).as("the README shows the alert rules").isNotEmpty();
    for (Shown s : shown) {
      String where = ROOT.relativize(s.file()) + ":" + s.line();
      assertThat(s.marker()).as("%s: a rule block needs <!-- rules: deploy/prometheus/... --> on"
          + " the line before, naming the tested file it comes from", where).isNotNull();
      List<String> file = Files.readAllLines(ROOT.resolve(s.marker()), StandardCharsets.UTF_8);
      assertThat(contains(file, s.lines())).as("%s: this block is not, line for line, part of %s",
          where, s.marker()).isTrue();
    }
  }

  @Test
  void theContainmentCheckSeesAChangedLine() throws IOException {
    List<String> file = Files.readAllLines(RULES, StandardCharsets.UTF_8);
    List<String> block = List.of("- alert: TcpTargetDown", "  expr: probe_success == 0",
        "  for: 2m");
    assertThat(contains(file, block)).isTrue();
    assertThat(contains(file, List.of("- alert: TcpTargetDown", "  expr: probe_success == 0",
        "  for: 5m"))).isFalse();
  }

  // ---- the dashboard ----

  static final Set<String> PANEL_TYPES = Set.of("timeseries", "state-timeline", "heatmap", "stat",
      "table", "bargauge", "text");

  static JsonNode dashboard() throws IOException {
    return new ObjectMapper().readTree(DASHBOARD.toFile());
  }

  @Test
  void theDashboardIsWellFormed() throws IOException {
    JsonNode d = dashboard();
    assertThat(d.path("title").asText()).isNotBlank();
    assertThat(d.path("uid").asText()).matches("[A-Za-z0-9_-]{1,40}");
    assertThat(d.path("schemaVersion").asInt()).isGreaterThanOrEqualTo(36);
    Set<String> variables = new HashSet<>();
    for (JsonNode v : d.path("templating").path("list")) {
      assertThat(variables.add(v.path("name").asText())).as("variable %s twice", v.path("name"))
          .isTrue();
    }
    assertThat(variables).contains("datasource");
    Set<Integer> ids = new HashSet<>();
    Set<String> types = new LinkedHashSet<>();
    for (JsonNode p : d.path("panels")) {
      String title = p.path("title").asText();
      assertThat(ids.add(p.path("id").asInt())).as("panel id of %s unique", title).isTrue();
      assertThat(PANEL_TYPES).as("panel type of %s", title).contains(p.path("type").asText());
      types.add(p.path("type").asText());
      JsonNode g = p.path("gridPos");
      assertThat(g.path("x").asInt() + g.path("w").asInt()).as("%s fits the 24 columns", title)
          .isBetween(1, 24);
      assertThat(g.path("h").asInt()).as("%s has a height", title).isPositive();
      assertThat(p.path("datasource").path("uid").asText()).as("%s uses the variable", title)
          .isEqualTo("${datasource}");
      Set<String> refs = new HashSet<>();
      for (JsonNode t : p.path("targets")) {
        assertThat(refs.add(t.path("refId").asText())).as("refId unique in %s", title).isTrue();
        String expr = t.path("expr").asText();
        assertThat(expr).as("%s has a query", title).isNotBlank();
        Matcher m = Pattern.compile("\\$\\{?(\\w+)").matcher(expr);
        while (m.find()) {
          assertThat(m.group(1).startsWith("__") || variables.contains(m.group(1)))
              .as("%s uses $%s, which is no variable", title, m.group(1)).isTrue();
        }
      }
      assertThat(refs).as("%s has queries", title).isNotEmpty();
    }
    // the two views the dashboard is for
    assertThat(types).contains("state-timeline", "heatmap");
    JsonNode heat = null;
    for (JsonNode p : d.path("panels")) {
      if (p.path("type").asText().equals("heatmap")) {
        heat = p;
      }
    }
    assertThat(heat.path("targets").get(0).path("expr").asText())
        .contains("tcpdial_connect_seconds_bucket").contains("by (le)");
    assertThat(heat.path("targets").get(0).path("format").asText()).isEqualTo("heatmap");
  }

  /** Every query of the dashboard, its variables given values a selector accepts. */
  static List<String> dashboardQueries() throws IOException {
    JsonNode d = dashboard();
    List<String> exprs = new ArrayList<>();
    for (JsonNode p : d.path("panels")) {
      for (JsonNode t : p.path("targets")) {
        exprs.add(t.path("expr").asText());
      }
    }
    // a variable's label_values(SELECTOR, label): its selector is a query too
    Pattern lv = Pattern.compile("label_values\\((.*),\\s*\\w+\\)");
    for (JsonNode v : d.path("templating").path("list")) {
      Matcher m = lv.matcher(v.path("query").path("query").asText(v.path("query").asText()));
      if (m.matches()) {
        exprs.add(m.group(1));
      }
    }
    List<String> concrete = new ArrayList<>();
    for (String e : exprs) {
      concrete.add(e.replace("$__rate_interval", "5m").replace("$__interval", "1m")
          .replaceAll("\\$\\{?\\w+}?", ".*"));
    }
    return concrete;
  }

  @Test
  void everyDashboardQueryParses() throws Exception {
    needPromtool();
    List<String> exprs = dashboardQueries();
    assertThat(exprs).hasSizeGreaterThanOrEqualTo(10);
    StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
    ObjectMapper json = new ObjectMapper();
    for (int i = 0; i < exprs.size(); i++) {
      // a JSON string is a YAML string
      rules.append("      - record: dashboard:query").append(i).append("\n        expr: ")
          .append(json.writeValueAsString(exprs.get(i))).append('\n');
    }
    Path f = tmp.resolve("dashboard-queries.yml");
    Files.writeString(f, rules);
    Run r = run(tmp, promtool, "check", "rules", f.toString());
    assertThat(r.code()).as("%s%n%s", r.out(), rules).isZero();
    assertThat(r.out()).contains("SUCCESS: " + exprs.size() + " rules found");
  }
}
