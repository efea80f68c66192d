package dev.tcpdial.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Heap allocation per connect from a JFR recording ({@code jdk.ObjectAllocationSample}, whose
 * weights add up to the bytes allocated): by allocated class, and by the innermost frame in the
 * benchmarked library (dev.tcpdial, io.netty) or, failing that, the innermost frame.
 *
 * <pre>AllocProfile FILE.jfr CONNECTS [TOP]</pre>
 */
public final class AllocProfile {

  public static void main(String[] args) throws IOException {
    Locale.setDefault(Locale.ROOT);
    Path file = Path.of(args[0]);
    double connects = Double.parseDouble(args[1]);
    int top = args.length > 2 ? Integer.parseInt(args[2]) : 15;
    Map<String, Long> byClass = new HashMap<>();
    Map<String, Long> bySite = new HashMap<>();
    long total = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      if (!e.getEventType().getName().equals("jdk.ObjectAllocationSample")) {
        continue;
      }
      long w = e.getLong("weight");
      total += w;
      byClass.merge(e.getClass("objectClass").getName(), w, Long::sum);
      bySite.merge(site(e), w, Long::sum);
    }
    System.out.printf("sampled allocation: %.0f B per connect (%d connects)%n", total / connects,
        (long) connects);
    print("by class", byClass, connects, top);
    print("by innermost library frame (dev.tcpdial / io.netty; else innermost)", bySite, connects, top);
  }

  private static String site(RecordedEvent e) {
    if (e.getStackTrace() == null) {
      return "?";
    }
    List<RecordedFrame> frames = e.getStackTrace().getFrames();
    for (RecordedFrame f : frames) {
      String type = f.getMethod().getType().getName();
      if ((type.startsWith("dev.tcpdial.") && !type.startsWith("dev.tcpdial.bench."))
          || type.startsWith("io.netty.")) {
        return type + "." + f.getMethod().getName() + ":" + f.getLineNumber();
      }
    }
    RecordedFrame f = frames.isEmpty() ? null : frames.getFirst();
    return f == null ? "?" : f.getMethod().getType().getName() + "." + f.getMethod().getName();
  }

  private static void print(String title, Map<String, Long> m, double connects, int top) {
    System.out.println("  " + title + ":");
    m.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
        .forEach(e -> System.out.printf("    %7.0f B  %s%n", e.getValue() / connects, e.getKey()));
  }
}
