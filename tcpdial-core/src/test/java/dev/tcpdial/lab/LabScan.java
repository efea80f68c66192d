package dev.tcpdial.lab;

import dev.tcpdial.Dialer;
import dev.tcpdial.Engine;
import dev.tcpdial.Mode;
import dev.tcpdial.Target;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Probes many targets through one {@link Dialer#probeEach} from inside a lab namespace, so that
 * consecutive probes share a loop (and its spare sockets) whatever their outcomes, and prints
 * {@code SCAN target outcome errno engine} per result, then {@code DONE count=N}. Arguments:
 * {@code --engine jdk|native}, {@code --window N}, then targets.
 */
public final class LabScan {
  private LabScan() {}

  public static void main(String[] args) throws Exception {
    Engine engine = null;
    int window = 64;
    List<Target> targets = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--engine" -> engine = Engine.valueOf(args[++i].toUpperCase(Locale.ROOT));
        case "--window" -> window = Integer.parseInt(args[++i]);
        default -> targets.add(Target.parse(args[i]));
      }
    }
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    try (Dialer d = Dialer.builder().mode(Mode.ASYNC).engine(engine)
        .connectTimeout(Duration.ofSeconds(3)).build()) {
      long n = d.probeEach(targets.iterator(), window, r -> {
        synchronized (out) {
          out.println("SCAN " + r.target() + " " + r.outcome().label() + " "
              + (r.errno() == null ? "-" : r.errno().name()) + " " + r.engine().label());
        }
      });
      out.println("DONE count=" + n);
    }
    out.flush();
  }
}
