package dev.tcpdial.cli.output;

import picocli.CommandLine.Option;

/** Output options shared by every command. */
public final class OutputOptions {
  /** Options at their defaults, before picocli sets them. */
  public OutputOptions() {}

  /** Output formats. */
  public enum Format {
    /** Aligned text for people. */
    TEXT,
    /** One JSON object per line, then a summary line. */
    JSON,
    /** A header row, then one row per result. */
    CSV
  }

  /** The formats as {@code --help} writes them, for shell completion. */
  public static final class FormatNames extends java.util.ArrayList<String> {
    private static final long serialVersionUID = 1L;

    /** Every format, lower case. */
    public FormatNames() {
      for (Format f : Format.values()) {
        add(f.name().toLowerCase(java.util.Locale.ROOT));
      }
    }
  }

  @Option(names = "--format", paramLabel = "text|json|csv", defaultValue = "text",
      completionCandidates = FormatNames.class,
      description = "Output format: aligned text, one JSON object per line (then a summary line), or CSV"
          + " with a header row. Default: ${DEFAULT-VALUE}.")
  public Format format = Format.TEXT;

  @Option(names = {"-q", "--quiet"}, description = "Print nothing; only the exit code tells.")
  public boolean quiet;

  @Option(names = {"-v", "--verbose"}, description = "Text output: add the explanation and every attempt.")
  public boolean verbose;
}
