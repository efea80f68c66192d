package dev.tcpdial.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every relative link between the project's Markdown files leads somewhere: the file or directory
 * exists, and a {@code #anchor} names a heading of the target the way GitHub names it. The files
 * are the top-level ones (README.md, BENCHMARKS.md, RELIABILITY.md, CHANGELOG.md) and every
 * {@code .md} one directory down (docs/, the modules' and the lab's READMEs, EXIT_CODES.md).
 * Links inside code blocks and code spans are text, not links; links with a scheme (https:,
 * mailto:) are not followed.
 */
class DocsLinksTest {
  static final Path ROOT = DocsSnippetsTest.ROOT;

  /** A link as written: the file it is in, its line, and its target. */
  record Link(Path file, int line, String target) {
    @Override
    public String toString() {
      return ROOT.relativize(file) + ":" + line + ": (" + target + ")";
    }
  }

  static List<Path> markdownFiles() throws IOException {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> top = Files.list(ROOT)) {
      top.filter(DocsLinksTest::isMarkdown).sorted().forEach(files::add);
    }
    try (Stream<Path> dirs = Files.list(ROOT)) {
      for (Path dir : dirs.filter(Files::isDirectory)
          .filter(d -> !d.getFileName().toString().startsWith(".")).sorted().toList()) {
        try (Stream<Path> inside = Files.list(dir)) {
          inside.filter(DocsLinksTest::isMarkdown).sorted().forEach(files::add);
        }
      }
    }
    return files;
  }

  static boolean isMarkdown(Path p) {
    return Files.isRegularFile(p) && p.getFileName().toString().endsWith(".md");
  }

  private static final Pattern CODE_SPAN =
      Pattern.compile("(`+)(?:(?!\\1).)+?\\1", Pattern.DOTALL);
  /** {@code [text](target)} and {@code ![alt](target)}, with an optional title. */
  private static final Pattern INLINE =
      Pattern.compile("\\]\\(\\s*<?([^)\\s>]*)>?(?:\\s+(?:\"[^\"]*\"|'[^']*'))?\\s*\\)");
  /** {@code [label]: target} on a line of its own. */
  private static final Pattern REFERENCE =
      Pattern.compile("(?m)^ {0,3}\\[[^\\]]+\\]:\\s*<?(\\S+?)>?\\s*$");
  private static final Pattern HTML =
      Pattern.compile("<(?:a|img)\\b[^>]*?\\b(?:href|src)=\"([^\"]*)\"");
  private static final Pattern HEADING =
      Pattern.compile("(?m)^ {0,3}(#{1,6})[ \\t]+(.*?)[ \\t]*$");
  private static final Pattern HTML_ANCHOR =
      Pattern.compile("<a\\b[^>]*?\\b(?:id|name)=\"([^\"]*)\"");
  private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");

  /**
   * The text with its fenced code blocks (``` or ~~~, fences included) blanked out; offsets and
   * line breaks kept, so a position in it is a position in the file.
   */
  static String withoutBlocks(String text) {
    char[] out = text.toCharArray();
    String fence = null; // the open block's fence, or null outside a block
    int start = 0;
    while (start < text.length()) {
      int end = text.indexOf('\n', start);
      if (end < 0) {
        end = text.length();
      }
      String line = text.substring(start, end).strip();
      boolean blank = fence != null;
      if (fence == null && (line.startsWith("```") || line.startsWith("~~~"))) {
        int n = 0;
        while (n < line.length() && line.charAt(n) == line.charAt(0)) {
          n++;
        }
        fence = line.substring(0, n);
        blank = true;
      } else if (fence != null && line.startsWith(fence)
          && line.replace(fence.charAt(0), ' ').isBlank()) {
        fence = null;
      }
      if (blank) {
        blank(out, start, end);
      }
      start = end + 1;
    }
    return new String(out);
  }

  /** {@link #withoutBlocks} and the code spans blanked too: what is left can hold links. */
  static String prose(String text) {
    char[] out = withoutBlocks(text).toCharArray();
    Matcher span = CODE_SPAN.matcher(new String(out));
    while (span.find()) {
      blank(out, span.start(), span.end());
    }
    return new String(out);
  }

  private static void blank(char[] out, int from, int to) {
    for (int i = from; i < to; i++) {
      if (out[i] != '\n') {
        out[i] = ' ';
      }
    }
  }

  static List<Link> links(Path file) throws IOException {
    String text = Files.readString(file);
    String prose = prose(text);
    List<Link> out = new ArrayList<>();
    for (Pattern p : List.of(INLINE, REFERENCE, HTML)) {
      Matcher m = p.matcher(prose);
      while (m.find()) {
        int line = 1 + (int) prose.substring(0, m.start()).chars().filter(c -> c == '\n').count();
        out.add(new Link(file, line, m.group(1)));
      }
    }
    return out;
  }

  /**
   * The anchor GitHub gives a heading: its text as rendered (links and images by their text, HTML
   * tags and code-span backticks dropped), in lower case, every character that is not a letter,
   * a digit, a mark, a connector such as {@code _}, a space or a hyphen removed, spaces made
   * hyphens.
   */
  static String slug(String heading) {
    String text = heading.replaceAll("[ \\t]+#+[ \\t]*$", "") // a closing run of #
        .replaceAll("!?\\[([^\\]]*)\\]\\([^)]*\\)", "$1")
        .replaceAll("<[^>]+>", "");
    return text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{M}\\p{N}\\p{Pc} -]", "")
        .replace(' ', '-');
  }

  /** Every anchor of a Markdown file: its headings (repeats get -1, -2, ...) and HTML anchors. */
  static Set<String> anchors(Path file) throws IOException {
    String prose = withoutBlocks(Files.readString(file)); // a heading may hold a code span
    Set<String> out = new LinkedHashSet<>();
    Map<String, Integer> seen = new HashMap<>();
    Matcher h = HEADING.matcher(prose);
    while (h.find()) {
      String base = slug(h.group(2));
      int n = seen.merge(base, 1, Integer::sum) - 1;
      out.add(n == 0 ? base : base + "-" + n);
    }
    Matcher a = HTML_ANCHOR.matcher(prose);
    while (a.find()) {
      out.add(a.group(1));
    }
    return out;
  }

  /**
   * What is wrong with each link of {@code file}, one line each; empty when every link holds.
   * Links may lead anywhere inside {@code root}.
   */
  static List<String> problems(Path file, Path root) throws IOException {
    List<String> out = new ArrayList<>();
    Map<Path, Set<String>> anchorCache = new HashMap<>();
    for (Link l : links(file)) {
      String t = l.target();
      if (t.isEmpty()) {
        out.add(l + ": empty link");
        continue;
      }
      if (SCHEME.matcher(t).find() || t.startsWith("//")) {
        continue; // an address on the web: not ours to check here
      }
      int hash = t.indexOf('#');
      String path = URLDecoder.decode(hash < 0 ? t : t.substring(0, hash), StandardCharsets.UTF_8);
      String anchor = hash < 0 ? null : t.substring(hash + 1);
      Path target = path.isEmpty() ? file : file.getParent().resolve(path).normalize();
      if (!target.startsWith(root)) {
        out.add(l + ": leads out of the repository");
        continue;
      }
      if (!Files.exists(target)) {
        out.add(l + ": " + root.relativize(target) + " does not exist");
        continue;
      }
      if (anchor == null) {
        continue;
      }
      if (!isMarkdown(target)) {
        out.add(l + ": an anchor into " + root.relativize(target) + ", which has no headings");
        continue;
      }
      Set<String> known = anchorCache.get(target);
      if (known == null) {
        known = anchors(target);
        anchorCache.put(target, known);
      }
      if (!known.contains(anchor)) {
        out.add(l + ": no heading #" + anchor + " in " + root.relativize(target));
      }
    }
    return out;
  }

  @TestFactory
  Stream<DynamicTest> everyRelativeLinkLeadsToAFileAndAHeading() throws IOException {
    return markdownFiles().stream().map(f -> DynamicTest.dynamicTest(ROOT.relativize(f).toString(),
        () -> assertThat(problems(f, ROOT)).as("broken links").isEmpty()));
  }

  @Test
  void theCheckedFilesAreThoseOfTheProject() throws IOException {
    assertThat(markdownFiles()).contains(ROOT.resolve("README.md"),
        ROOT.resolve("docs/architecture.md"), ROOT.resolve("docs/cli.md"),
        ROOT.resolve("BENCHMARKS.md"), ROOT.resolve("RELIABILITY.md"),
        ROOT.resolve("CHANGELOG.md"), ROOT.resolve("lab/README.md"),
        ROOT.resolve("tcpdial-cli/README.md"), ROOT.resolve("tcpdial-cli/EXIT_CODES.md"));
    assertThat(markdownFiles()).noneMatch(f -> f.toString().contains("/target/"));
  }

  @Test
  void everyDocsPageIsLinkedFromTheReadme() throws IOException {
    Path readme = ROOT.resolve("README.md");
    Set<Path> linked = new LinkedHashSet<>();
    for (Link l : links(readme)) {
      String t = l.target();
      int hash = t.indexOf('#');
      linked.add(ROOT.resolve(hash < 0 ? t : t.substring(0, hash)).normalize());
    }
    try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
      assertThat(linked).containsAll(docs.filter(DocsLinksTest::isMarkdown).toList());
    }
  }

  @Test
  void slugsAreGitHubs() {
    assertThat(slug("Prometheus exporter: `tcpdial serve`"))
        .isEqualTo("prometheus-exporter-tcpdial-serve");
    assertThat(slug("Results: `tcpdial serve` beside blackbox_exporter"))
        .isEqualTo("results-tcpdial-serve-beside-blackbox_exporter");
    assertThat(slug("Interrupts (SIGINT, SIGTERM): one behaviour for every command"))
        .isEqualTo("interrupts-sigint-sigterm-one-behaviour-for-every-command");
    assertThat(slug("What's in the box")).isEqualTo("whats-in-the-box");
    assertThat(slug("Every `SocketFactory` user: pgjdbc, JNDI LDAP (`tcpdial-socketfactory`)"))
        .isEqualTo("every-socketfactory-user-pgjdbc-jndi-ldap-tcpdial-socketfactory");
    assertThat(slug("Run D: 04:25 UTC, final client configuration (C = 64 and 1024)"))
        .isEqualTo("run-d-0425-utc-final-client-configuration-c--64-and-1024");
    assertThat(slug("See [the lab](lab/README.md) ##")).isEqualTo("see-the-lab");
    assertThat(slug("Größe und Ärger")).isEqualTo("größe-und-ärger");
  }

  @Test
  void brokenLinksAreFoundAndCodeIsNotALink(@TempDir Path root) throws IOException {
    Path a = root.resolve("a.md");
    Files.writeString(root.resolve("b.md"),
        "# B\n\n## Twice\n\n## Twice\n\n```\n## In code\n```\n<a id=\"here\"></a>\n");
    Files.writeString(a, String.join("\n",
        "# A: `code` here",
        "[fine](b.md) [fine too](b.md#twice-1) [self](#a-code-here) [html anchor](b.md#here)",
        "[web](https://example.com/x#y) [mail](mailto:x@example.com)",
        "[no file](c.md) [no heading](b.md#thrice) [in code](b.md#in-code)",
        "`[a span](nowhere.md)`",
        "````",
        "[a block](nowhere.md)",
        "```",
        "still in the block: [x](nowhere.md)",
        "````",
        "[out](../outside.md)",
        "[ref]: gone.md",
        "<img src=\"missing.png\">",
        ""));
    List<String> found = problems(a, root);
    assertThat(found).hasSize(6);
    assertThat(found.get(0)).contains("a.md:4: (c.md)", "c.md does not exist");
    assertThat(found.get(1)).contains("a.md:4: (b.md#thrice)", "no heading #thrice in b.md");
    assertThat(found.get(2)).contains("a.md:4: (b.md#in-code)", "no heading #in-code");
    assertThat(found.get(3)).contains("a.md:11: (../outside.md)", "out of the repository");
    assertThat(found.get(4)).contains("a.md:12: (gone.md)", "does not exist");
    assertThat(found.get(5)).contains("a.md:13: (missing.png)", "does not exist");
    assertThat(found).noneMatch(p -> p.contains("nowhere.md") || p.contains("example.com"));
  }
}
