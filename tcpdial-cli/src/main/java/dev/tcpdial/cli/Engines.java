package dev.tcpdial.cli;

import dev.tcpdial.Dialer;
import dev.tcpdial.Engine;
import dev.tcpdial.cli.output.Report;
import picocli.CommandLine.Model.CommandSpec;

/** Checks that the engine asked for is the one the dialer uses. */
final class Engines {
  private Engines() {}

  /**
   * False (after one line on stderr, with the reason) when a native engine ({@code --engine
   * native|uring|epoll}) was asked for and this machine or build cannot give it.
   */
  static boolean available(Dialer dialer, DialOptions dial, Report report, CommandSpec spec) {
    Engine asked = dial.engine;
    if (asked == null || asked == Engine.AUTO) {
      return true;
    }
    Engine got = dialer.probeEngine();
    String why = dialer.probeEngineReason();
    if (asked == Engine.JDK ? got == Engine.JDK : got.isNative() && !why.contains(" cannot run: ")
        && (got == asked || asked == Engine.NATIVE)) {
      return true;
    }
    report.err().println(spec.qualifiedName() + ": the " + asked.label()
        + " engine is not available here (" + why + "); use --engine " + Engine.AUTO.label()
        + " or leave --engine out");
    report.err().flush();
    return false;
  }
}
