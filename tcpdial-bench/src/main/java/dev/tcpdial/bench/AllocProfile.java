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
 * Heap allocation per connect from a JFR recording ({@code jdk.ObjectAllocationSample}): by
 * allocated class, and by the innermost frame in the benchmarked library (dev.tcpdial, io.netty)
 * or, failing that, the innermost frame. Each site's share of the sampled weight is scaled to the
 * exactly measured allocation per connect. A thread's first sample (which carries everything the
 * thread allocated before it) and JFR's own allocations are left out.
 *
 * <pre>AllocProfile FILE.jfr BYTES_PER_CONNECT [TOP]</pre>
 */
public final class AllocProfile {

  public static void main(String[] args) throws IOException {
    Locale.setDefault(Locale.ROOT);
    Path file = Path.of(args[0]);
    double perConnect = Double.parseDouble(args[1]);
    int top = args.length > 2 ? Integer.parseInt(args[2]) : 15;
    Map<String, Long> byClass = new HashMap<>();
    Map<String, Long> bySite = new HashMap<>();
    long total = 0;
    java.util.Set<Long> seenThreads = new java.util.HashSet<>();
    List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
        .filter(e -> e.getEventType().getName().equals("jdk.ObjectAllocationSample"))
        .sorted(java.util.Comparator.comparing(RecordedEvent::getStartTime)).toList();
    for (RecordedEvent e : events) {
      if (e.getThread() == null || seenThreads.add(e.getThread().getJavaThreadId())
          || fromJfr(e)) {
        continue;
      }
      long w = e.getLong("weight");
      total += w;
      byClass.merge(e.getClass("objectClass").getName(), w, Long::sum);
      bySite.merge(site(e), w, Long::sum);
    }
    System.out.printf("allocation: %.0f B per connect (measured), split by %d samples%n",
        perConnect, events.size());
    double scale = total > 0 ? perConnect / total : 0;
    print("by class", byClass, scale, top);
    print("by innermost library frame (dev.tcpdial / io.netty; else innermost)", bySite, scale, top);
  }

  private static boolean fromJfr(RecordedEvent e) {
    return e.getStackTrace() != null && e.getStackTrace().getFrames().stream()
        .anyMatch(f -> f.getMethod().getType().getName().startsWith("jdk.jfr."));
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

  private static void print(String title, Map<String, Long> m, double scale, int top) {
    System.out.println("  " + title + ":");
    m.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
        .forEach(e -> System.out.printf("    %7.0f B  %s%n", e.getValue() * scale, e.getKey()));
  }
}
