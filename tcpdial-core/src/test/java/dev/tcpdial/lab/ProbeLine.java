package dev.tcpdial.lab;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code RESULT} (or {@code WARMUP}) line of {@link LabProbe}, parsed back.
 *
 * @param id the job's id
 * @param target the target as dialed
 * @param mode {@code sync} or {@code async}
 * @param engine {@code jdk}, {@code native}, or {@code -}
 * @param outcome the outcome label ({@code still_running} or {@code probe_failed} when the probe
 *     itself went wrong)
 * @param errno the errno name, {@code -} for none
 * @param elapsedMs the dial's elapsed time; NaN when unknown
 * @param remote the address of the deciding attempt, {@code -} for none
 * @param attempts every attempt, in order
 * @param icmp who answered the deciding attempt: {@code origin,name,sender} or {@code -}
 * @param raw the line as printed
 */
public record ProbeLine(String id, String target, String mode, String engine, String outcome,
    String errno, double elapsedMs, String remote, List<AttemptLine> attempts, String icmp,
    String raw) {

  /** One attempt: {@code address|outcome|errno|start ms|elapsed ms|reason|icmp}. */
  public record AttemptLine(String remote, String outcome, String errno, double startMs,
      double elapsedMs, String reason, String icmp) {

    static AttemptLine parse(String s) {
      String[] p = s.split("\\|", -1);
      if (p.length != 7) {
        throw new IllegalArgumentException("bad attempt '" + s + "'");
      }
      return new AttemptLine(p[0], p[1], p[2], Double.parseDouble(p[3]), Double.parseDouble(p[4]),
          p[5], p[6]);
    }
  }

  /** Parses a {@code RESULT} or {@code WARMUP} line. */
  public static ProbeLine parse(String line) {
    Map<String, String> kv = new LinkedHashMap<>();
    String[] tokens = line.strip().split(" ");
    for (int i = 1; i < tokens.length; i++) {
      int eq = tokens[i].indexOf('=');
      if (eq > 0) {
        kv.put(tokens[i].substring(0, eq), tokens[i].substring(eq + 1));
      }
    }
    int n = Integer.parseInt(kv.getOrDefault("attempts", "0"));
    List<AttemptLine> attempts = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      attempts.add(AttemptLine.parse(kv.get("a" + i)));
    }
    String elapsed = kv.getOrDefault("elapsed_ms", "-");
    return new ProbeLine(kv.get("id"), kv.get("target"), kv.get("mode"), kv.get("engine"),
        kv.get("outcome"), kv.getOrDefault("errno", "-"),
        elapsed.equals("-") ? Double.NaN : Double.parseDouble(elapsed), kv.getOrDefault("remote", "-"),
        List.copyOf(attempts), kv.getOrDefault("icmp", "-"), line);
  }

  @Override
  public String toString() {
    return raw;
  }
}
