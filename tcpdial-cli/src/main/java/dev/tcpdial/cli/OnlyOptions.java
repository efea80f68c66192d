package dev.tcpdial.cli;

import dev.tcpdial.Outcome;
import dev.tcpdial.PortState;
import dev.tcpdial.cli.targets.TargetList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The outcome filter of {@code scan} and {@code check}: which results are written. The summary,
 * the counts and the exit code still take every result.
 */
final class OnlyOptions {
  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  /** What --only takes, as {@code --help} writes it, for shell completion. */
  static final class OutcomeNames extends java.util.ArrayList<String> {
    private static final long serialVersionUID = 1L;

    OutcomeNames() {
      for (Outcome o : Outcome.values()) {
        add(o.label());
      }
      for (PortState s : PortState.values()) {
        add(s.label());
      }
    }
  }

  @Option(names = "--only", paramLabel = "OUTCOME", split = ",",
      completionCandidates = OutcomeNames.class,
      description = "Write only the results with these outcomes (connected, refused, timeout,"
          + " host_unreachable, ...; or open, closed, filtered as in nmap); the summary still"
          + " counts every result.")
  List<String> only;

  @Option(names = "--open", description = "Write only the connected results: --only connected.")
  boolean open;

  /** The outcomes to write, or {@code null} for every one. */
  Set<Outcome> outcomes() {
    if (only == null && !open) {
      return null;
    }
    EnumSet<Outcome> set = EnumSet.noneOf(Outcome.class);
    if (open) {
      set.add(Outcome.CONNECTED);
    }
    for (String s : only == null ? List.<String>of() : only) {
      String w = s.strip();
      PortState e = null;
      for (PortState x : PortState.values()) {
        if (x.label().equalsIgnoreCase(w)) {
          e = x;
        }
      }
      if (e != null) {
        for (Outcome o : Outcome.values()) {
          if (e.matches(o)) {
            set.add(o);
          }
        }
        continue;
      }
      try {
        set.add(Outcome.fromLabel(w));
      } catch (IllegalArgumentException ex) {
        throw new ParameterException(spec.commandLine(), "--only: '" + TargetList.shorten(w) + "' is not an outcome;"
            + " use " + String.join(", ", java.util.Arrays.stream(Outcome.values())
                .map(Outcome::label).toList()) + ", or open, closed, filtered");
      }
    }
    return set;
  }
}
