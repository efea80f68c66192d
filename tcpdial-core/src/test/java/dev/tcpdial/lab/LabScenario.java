package dev.tcpdial.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One line of {@code lab/demo-targets.txt}: a target dialed from a lab namespace and what it must
 * give.
 *
 * @param ns the namespace letter (c, k)
 * @param target the target as written
 * @param outcome the expected outcome label
 * @param errno the expected errno name, {@code -} for none
 * @param minMs the least elapsed time accepted
 * @param maxMs the most elapsed time accepted
 * @param options {@link LabProbe} options for the dial
 * @param description what happens on the way
 */
public record LabScenario(String ns, String target, String outcome, String errno, double minMs,
    double maxMs, List<String> options, String description) {

  /** The id its results carry: {@code c:198.18.0.99:80}. */
  public String id() {
    return ns + ":" + target;
  }

  /** The {@link LabProbe} job line for it, in both modes. */
  public String jobLine() {
    StringBuilder sb = new StringBuilder("--mode both --id ").append(id());
    for (String o : options) {
      sb.append(' ').append(o);
    }
    return sb.append(' ').append(target).toString();
  }

  @Override
  public String toString() {
    return id();
  }

  /** Every scenario of {@code lab/demo-targets.txt}. */
  public static List<LabScenario> load() {
    Path file = Lab.labDir().resolve("demo-targets.txt");
    List<LabScenario> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(file)) {
        String s = line.strip();
        if (s.isEmpty() || s.startsWith("#")) {
          continue;
        }
        String[] f = s.split("\\s+", 8);
        if (f.length < 8) {
          throw new IllegalArgumentException(file + ": too few columns in '" + line + "'");
        }
        List<String> options = new ArrayList<>();
        if (!f[6].equals("-")) {
          for (String kv : f[6].split(",")) {
            String[] p = kv.split("=", 2);
            options.add("--" + p[0]);
            options.add(p[1]);
          }
        }
        out.add(new LabScenario(f[0], f[1], f[2], f[3], Double.parseDouble(f[4]),
            Double.parseDouble(f[5]), List.copyOf(options), f[7]));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
