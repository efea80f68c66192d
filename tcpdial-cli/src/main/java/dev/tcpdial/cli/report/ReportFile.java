package dev.tcpdial.cli.report;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;

/** Checks {@code --report FILE} before the run: a usage error, not a lost hour of probes. */
public final class ReportFile implements CommandLine.ITypeConverter<Path> {
  /** The converter; picocli makes one for each option that names it. */
  public ReportFile() {}

  @Override
  public Path convert(String value) {
    Path p;
    try {
      p = Path.of(value);
    } catch (RuntimeException e) {
      throw new CommandLine.TypeConversionException("not a file name: " + e.getMessage());
    }
    Path dir = p.toAbsolutePath().getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new CommandLine.TypeConversionException("no such directory: " + dir);
    }
    if (Files.isDirectory(p)) {
      throw new CommandLine.TypeConversionException(value + " is a directory");
    }
    if (!Files.isWritable(dir) || (Files.exists(p) && !Files.isWritable(p))) {
      throw new CommandLine.TypeConversionException("cannot write " + value);
    }
    return p;
  }
}
