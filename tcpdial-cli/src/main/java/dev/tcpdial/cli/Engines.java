package dev.tcpdial.cli;

import dev.tcpdial.Dialer;
import dev.tcpdial.Engine;
import picocli.CommandLine.Model.CommandSpec;

/** Checks that the engine asked for is the one the dialer uses. */
final class Engines {
  private Engines() {}

  /**
   * False (after one line on stderr) when {@code --engine native} was asked for and this machine or
   * build cannot give it.
   */
  static boolean available(Dialer dialer, DialOptions dial, Report report, CommandSpec spec) {
    if (dial.engine == null || dialer.probeEngine() == dial.engine) {
      return true;
    }
    report.err().println(spec.qualifiedName() + ": the " + dial.engine.label()
        + " engine is not available here (this build or machine uses "
        + dialer.probeEngine().label() + "); use --engine " + Engine.JDK.label()
        + " or leave --engine out");
    report.err().flush();
    return false;
  }
}
