package dev.tcpdial.cli.report;

import dev.tcpdial.Outcome;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** What both reports share: the page's frame, its style, escaping, colours, writing the file. */
public final class Page {
  private Page() {}

  /**
   * The page's Content-Security-Policy: nothing may be fetched (not a font, not an image, not a
   * script), and the only scripts that run are {@code scripts}, each named by its SHA-256 (CSP
   * level 2), never {@code 'unsafe-inline'}: a script that text from the run smuggled into the
   * page, or a later edit, does not run. The page says so itself, so a browser refuses even what
   * a later edit might add by mistake.
   *
   * @param scripts the text of each inline script, exactly as between its tags
   */
  static String csp(List<String> scripts) {
    StringBuilder sb = new StringBuilder("default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    if (!scripts.isEmpty()) {
      sb.append("; script-src");
      for (String s : scripts) {
        sb.append(" 'sha256-").append(sha256(s)).append('\'');
      }
    }
    return sb.toString();
  }

  private static String sha256(String script) {
    try {
      return java.util.Base64.getEncoder().encodeToString(java.security.MessageDigest
          .getInstance("SHA-256").digest(script.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-256 in this JDK", e); // every JDK has it
    }
  }

  static final String STYLE = """
      body{font:14px/1.4 system-ui,sans-serif;margin:1.2em 2em;color:#1b1f24;background:#fff}
      h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.1em;margin:1.4em 0 .4em}
      code,pre,.mono{font-family:ui-monospace,monospace;font-size:12.5px}
      .meta{color:#57606a;margin:.1em 0}.meta code{color:#1b1f24}
      .counts{display:flex;flex-wrap:wrap;gap:.5em;margin:.6em 0}
      .count{border:1px solid #d0d7de;border-radius:6px;padding:.3em .7em;min-width:6em}
      .count b{display:block;font-size:1.3em}.count.bad{border-color:#cf222e;background:#ffebe9}
      .sw{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.35em;vertical-align:-1px}
      svg text{font:11px system-ui,sans-serif;fill:#57606a}
      table{border-collapse:collapse;margin-top:.4em}th,td{padding:2px 10px;text-align:left;border-bottom:1px solid #eaeef2}
      th{cursor:pointer;user-select:none;background:#f6f8fa;position:sticky;top:0}th.asc:after{content:' \\25B2'}th.desc:after{content:' \\25BC'}
      td.num{text-align:right;font-variant-numeric:tabular-nums}
      tr.mismatch td{background:#ffebe9}tr.mismatch td.exp{color:#cf222e;font-weight:600}
      .controls{margin:.4em 0;display:flex;gap:1em;align-items:center;flex-wrap:wrap}
      .note{color:#57606a;font-size:.92em}
      pre{background:#f6f8fa;padding:.6em;border-radius:6px;overflow:auto}
      """;

  /** The outcome's colour on both reports. */
  static String colour(Outcome o) {
    return switch (o) {
      case CONNECTED -> "#1a7f37";
      case REFUSED -> "#8c959f";
      case TIMEOUT -> "#d4a72c";
      case HOST_UNREACHABLE -> "#8250df";
      case NETWORK_UNREACHABLE -> "#5a32a3";
      case PROHIBITED -> "#cf222e";
      case NO_LOCAL_ADDRESS -> "#0969da";
      case LOCAL_RESOURCES -> "#0550ae";
      case RESOLUTION_FAILED -> "#bc4c00";
      case CANCELLED -> "#afb8c1";
      case ERROR -> "#24292f";
    };
  }

  /** CSS classes {@code .o-connected{fill:...;background:...}} for every outcome. */
  static String outcomeCss() {
    StringBuilder sb = new StringBuilder();
    for (Outcome o : Outcome.values()) {
      sb.append(".o-").append(o.label()).append("{fill:").append(colour(o))
          .append(";background:").append(colour(o)).append("}\n");
    }
    return sb.toString();
  }

  /**
   * The page's start: head with the style, the title and the run's facts; {@code scripts} are
   * the inline scripts the page will hold, allowed by their hashes.
   */
  static void head(StringBuilder sb, String title, String commandLine, Instant start,
      Duration elapsed, List<String> scripts) {
    sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
        .append("<meta http-equiv=\"Content-Security-Policy\" content=\"").append(csp(scripts))
        .append("\">\n<meta name=\"viewport\" content=\"width=device-width\">\n<title>");
    esc(sb, title).append("</title>\n<style>\n").append(STYLE).append(outcomeCss())
        .append("</style></head>\n<body>\n<h1>");
    esc(sb, title).append("</h1>\n<p class=\"meta\">command: <code id=\"cmdline\">");
    esc(sb, commandLine).append("</code></p>\n<p class=\"meta\">started <span id=\"started\">");
    esc(sb, DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS xxx", Locale.ROOT)
        .format(start.atZone(ZoneId.systemDefault())));
    sb.append("</span>, took <span id=\"duration\">")
        .append(String.format(Locale.ROOT, "%.3f s", elapsed.toNanos() / 1e9))
        .append("</span></p>\n");
  }

  /** Appends {@code s} with HTML's five escapes (text and attribute values alike). */
  static StringBuilder esc(StringBuilder sb, String s) {
    if (s == null) {
      return sb;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> sb.append("&amp;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&#39;");
        default -> sb.append(c);
      }
    }
    return sb;
  }

  /** A JSON string literal safe inside a script element ({@code <} escaped). */
  static StringBuilder jsonString(StringBuilder sb, String s) {
    if (s == null) {
      return sb.append("null");
    }
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '<' -> sb.append("\\u003c");
        case '\n' -> sb.append("\\n");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"');
  }

  static String num(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  /** {@code 1234567} as {@code 1,234,567}. */
  static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  /** Milliseconds as the text output writes them (three decimals). */
  static String ms(double ms) {
    return String.format(Locale.ROOT, "%.3f", ms);
  }

  /**
   * The command line as typed, each argument shell-quoted where it needs it.
   *
   * @param spec the running command's spec
   * @return {@code tcpdial} and the original arguments, to be pasted back into a POSIX shell
   */
  public static String commandLine(CommandSpec spec) {
    CommandLine root = spec.root().commandLine();
    List<String> args = root.getParseResult() == null ? List.of()
        : root.getParseResult().originalArgs();
    StringBuilder sb = new StringBuilder("tcpdial");
    for (String a : args) {
      sb.append(' ');
      if (!a.isEmpty() && a.matches("[A-Za-z0-9_@%+=:,./\\[\\]-]+")) {
        sb.append(a);
      } else {
        sb.append('\'').append(a.replace("'", "'\\''")).append('\'');
      }
    }
    return sb.toString();
  }

  /**
   * Writes {@code html} to {@code file} through a temporary file beside it, so a reader never
   * sees half a page; false after one line on {@code err} when it cannot.
   */
  static boolean write(Path file, CharSequence html, PrintWriter err, String who) {
    Path abs = file.toAbsolutePath();
    Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp");
    try {
      try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        w.append(html);
      }
      try {
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
      }
      return true;
    } catch (IOException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // nothing more to do
      }
      err.println(who + ": cannot write the report " + file + ": " + e.getMessage());
      err.flush();
      return false;
    }
  }
}
