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

  @Option(names = "--format", paramLabel = "text|json|csv", defaultValue = "text",
      description = "Output format: aligned text, one JSON object per line (then a summary line), or CSV"
          + " with a header row. Default: ${DEFAULT-VALUE}.")
  public Format format = Format.TEXT;

  @Option(names = {"-q", "--quiet"}, description = "Print nothing; only the exit code tells.")
  public boolean quiet;

  @Option(names = {"-v", "--verbose"}, description = "Text output: add the explanation and every attempt.")
  public boolean verbose;
}
