package dev.tcpdial.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns the raw lines bench/run collected into the tables of BENCHMARKS.md.
 *
 * <pre>
 * Report rate FILE        lines "round=R result client=... conc=... connects=... secs=..."
 * Report syscalls DIR     DIR/CLIENT.small.strace, DIR/CLIENT.large.strace, DIR/CLIENT.{small,large}.out
 * </pre>
 */
public final class Report {

  public static void main(String[] args) throws IOException {
    Locale.setDefault(Locale.ROOT);
    switch (args.length == 2 ? args[0] : "") {
      case "rate" -> rate(Path.of(args[1]));
      case "syscalls" -> syscalls(Path.of(args[1]));
      default -> {
        System.err.println("usage: Report rate FILE | Report syscalls DIR");
        System.exit(2);
      }
    }
  }

  static Map<String, String> fields(String line) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String tok : line.strip().split("\\s+")) {
      int eq = tok.indexOf('=');
      if (eq > 0) {
        m.put(tok.substring(0, eq), tok.substring(eq + 1));
      }
    }
    return m;
  }

  record Run(int round, int conc, String client, double rate, double cpuPer1k, long rssKb,
      long errors, String unavailable, double alloc) {}

  static final List<String> ORDER = List.of("c-epoll", "c-uring", "tcpdial-async",
      "tcpdial-async-dial", "tcpdial-sync-virtual", "tcpdial-sync-platform", "jdk-nio",
      "jdk-virtual", "netty-nio", "netty-epoll", "netty-uring", "tcpdial-probe-native",
      "tcpdial-probe-uring", "tcpdial-each-native", "tcpdial-each-uring");

  static void rate(Path file) throws IOException {
    List<Run> runs = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      if (!line.contains("result ")) {
        continue;
      }
      Map<String, String> f = fields(line);
      int round = Integer.parseInt(f.getOrDefault("round", "0"));
      int conc = Integer.parseInt(f.getOrDefault("conc", "0"));
      String client = f.get("client");
      if (f.containsKey("unavailable") || f.containsKey("failed")) {
        String why = f.containsKey("unavailable") ? f.get("unavailable") : "failed " + f.get("failed");
        runs.add(new Run(round, conc, client, Double.NaN, Double.NaN, -1, -1, why, Double.NaN));
        continue;
      }
      long connects = Long.parseLong(f.get("connects"));
      double secs = Double.parseDouble(f.get("secs"));
      double cpu = Double.parseDouble(f.get("cpu_secs"));
      runs.add(new Run(round, conc, client, connects / secs,
          connects > 0 ? cpu / connects * 1000 : Double.NaN, Long.parseLong(f.get("rss_kb")),
          Long.parseLong(f.get("errors")), null,
          Double.parseDouble(f.getOrDefault("alloc_per_connect", "NaN"))));
    }
    TreeSet<Integer> concs = new TreeSet<>();
    runs.forEach(r -> concs.add(r.conc()));
    Map<String, Double> ratioAt64 = new HashMap<>();
    System.out.println("| C | client | connects/s (median) | min - max | x c-epoll (same round)"
        + " | CPU s per 1k connects | x c-epoll CPU | heap B allocated per connect | peak RSS MiB | errors |");
    System.out.println("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (int conc : concs) {
      Map<String, List<Run>> byClient = new TreeMap<>(Comparator.comparingInt(Report::orderOf));
      runs.stream().filter(r -> r.conc() == conc)
          .forEach(r -> byClient.computeIfAbsent(r.client(), k -> new ArrayList<>()).add(r));
      Map<Integer, Double> cRate = new HashMap<>();
      byClient.getOrDefault("c-epoll", List.of()).forEach(r -> cRate.put(r.round(), r.rate()));
      for (var e : byClient.entrySet()) {
        List<Run> ok = e.getValue().stream().filter(r -> r.unavailable() == null).toList();
        if (ok.isEmpty()) {
          System.out.printf("| %d | %s | n/a | | n/a | | | | | (%s) |%n", conc, e.getKey(),
              e.getValue().getFirst().unavailable());
          continue;
        }
        List<Run> sorted = ok.stream().sorted(Comparator.comparingDouble(Run::rate)).toList();
        Run med = sorted.get(sorted.size() / 2);
        List<Double> ratios = new ArrayList<>();
        for (Run r : ok) {
          Double c = cRate.get(r.round());
          if (c != null && c > 0) {
            ratios.add(r.rate() / c);
          }
        }
        long errors = ok.stream().mapToLong(Run::errors).sum();
        double cpu = median(ok.stream().map(Run::cpuPer1k).toList());
        Double cCpu = median(byClient.getOrDefault("c-epoll", List.of()).stream()
            .filter(r -> r.unavailable() == null).map(Run::cpuPer1k).toList());
        Double alloc = median(ok.stream().map(Run::alloc).toList());
        System.out.printf("| %d | %s | %.0f | %.0f - %.0f | %s | %.3f | %s | %s | %.0f | %d |%n",
            conc, e.getKey(), med.rate(), sorted.getFirst().rate(), sorted.getLast().rate(),
            fmt(median(ratios)), cpu, cCpu == null ? "n/a" : fmt(cpu / cCpu),
            alloc == null || alloc.isNaN() ? "-" : String.format("%.0f", alloc),
            med.rssKb() / 1024.0, errors);
      }
      if (conc == 64) {
        ratioAt64.put("async/c_epoll", medianRatio(byClient, "tcpdial-async", "c-epoll"));
        ratioAt64.put("async/jdk_nio", medianRatio(byClient, "tcpdial-async", "jdk-nio"));
        ratioAt64.put("async/netty_epoll", medianRatio(byClient, "tcpdial-async", "netty-epoll"));
        ratioAt64.put("sync_virtual/jdk_virtual",
            medianRatio(byClient, "tcpdial-sync-virtual", "jdk-virtual"));
        ratioAt64.put("native/c_epoll", medianRatio(byClient, "tcpdial-probe-native", "c-epoll"));
        ratioAt64.put("uring/c_epoll", medianRatio(byClient, "tcpdial-probe-uring", "c-epoll"));
        ratioAt64.put("uring/c_uring", medianRatio(byClient, "tcpdial-probe-uring", "c-uring"));
        ratioAt64.put("uring/netty_uring",
            medianRatio(byClient, "tcpdial-probe-uring", "netty-uring"));
      }
    }
    System.out.println();
    System.out.println("Ratios are medians over rounds of (rate of a / rate of b in the same round).");
    for (int conc : concs) {
      if (conc == 64) {
        continue;
      }
      Map<String, List<Run>> byClient = new HashMap<>();
      runs.stream().filter(r -> r.conc() == conc)
          .forEach(r -> byClient.computeIfAbsent(r.client(), k -> new ArrayList<>()).add(r));
      System.out.printf("C=%d: async/jdk_nio=%s async/netty_epoll=%s sync_virtual/jdk_virtual=%s%n",
          conc, fmt(medianRatio(byClient, "tcpdial-async", "jdk-nio")),
          fmt(medianRatio(byClient, "tcpdial-async", "netty-epoll")),
          fmt(medianRatio(byClient, "tcpdial-sync-virtual", "jdk-virtual")));
    }
    System.out.printf("RATIO async/c_epoll=%s async/jdk_nio=%s async/netty_epoll=%s"
            + " sync_virtual/jdk_virtual=%s native/c_epoll=%s uring/c_epoll=%s uring/c_uring=%s"
            + " uring/netty_uring=%s%n",
        fmt(ratioAt64.get("async/c_epoll")), fmt(ratioAt64.get("async/jdk_nio")),
        fmt(ratioAt64.get("async/netty_epoll")), fmt(ratioAt64.get("sync_virtual/jdk_virtual")),
        fmt(ratioAt64.get("native/c_epoll")), fmt(ratioAt64.get("uring/c_epoll")),
        fmt(ratioAt64.get("uring/c_uring")), fmt(ratioAt64.get("uring/netty_uring")));
  }

  static int orderOf(String client) {
    int i = ORDER.indexOf(client);
    return i < 0 ? ORDER.size() + client.hashCode() : i;
  }

  static Double medianRatio(Map<String, List<Run>> byClient, String a, String b) {
    Map<Integer, Double> bRate = new HashMap<>();
    byClient.getOrDefault(b, List.of()).stream().filter(r -> r.unavailable() == null)
        .forEach(r -> bRate.put(r.round(), r.rate()));
    List<Double> ratios = new ArrayList<>();
    for (Run r : byClient.getOrDefault(a, List.of())) {
      Double d = bRate.get(r.round());
      if (r.unavailable() == null && d != null && d > 0) {
        ratios.add(r.rate() / d);
      }
    }
    return median(ratios);
  }

  static Double median(List<Double> xs) {
    if (xs.isEmpty()) {
      return null;
    }
    List<Double> s = xs.stream().sorted().toList();
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  static String fmt(Double d) {
    return d == null || d.isNaN() ? "n/a" : String.format("%.2f", d);
  }

  // ---- syscalls ----

  /** calls per syscall from an strace -c summary. */
  static Map<String, Long> strace(Path file) throws IOException {
    Map<String, Long> calls = new TreeMap<>();
    for (String line : Files.readAllLines(file)) {
      String[] f = line.strip().split("\\s+");
      // % time, seconds, usecs/call, calls, [errors], syscall
      if (f.length < 5 || !f[0].matches("[0-9.]+") || f[f.length - 1].equals("total")) {
        continue;
      }
      calls.put(f[f.length - 1], Long.parseLong(f[3]));
    }
    return calls;
  }

  static long connectsOf(Path out) throws IOException {
    for (String line : Files.readAllLines(out)) {
      if (line.contains("result ")) {
        Map<String, String> f = fields(line);
        if (f.containsKey("total")) {
          return Long.parseLong(f.get("total")) + Long.parseLong(f.getOrDefault("errors", "0"));
        }
      }
    }
    return -1;
  }

  static void syscalls(Path dir) throws IOException {
    Map<String, Map<String, Double>> per = new TreeMap<>(Comparator.comparingInt(Report::orderOf));
    try (var files = Files.list(dir)) {
      for (Path small : files.filter(p -> p.toString().endsWith(".small.strace")).toList()) {
        String client = small.getFileName().toString().replace(".small.strace", "");
        Path large = dir.resolve(client + ".large.strace");
        long n1 = connectsOf(dir.resolve(client + ".small.out"));
        long n2 = connectsOf(dir.resolve(client + ".large.out"));
        if (!Files.exists(large) || n1 < 0 || n2 <= n1) {
          System.out.println(client + ": no usable strace pair");
          continue;
        }
        Map<String, Long> a = strace(small);
        Map<String, Long> b = strace(large);
        Map<String, Double> d = new TreeMap<>();
        for (String sc : new TreeSet<>(b.keySet())) {
          double v = (b.get(sc) - a.getOrDefault(sc, 0L)) / (double) (n2 - n1);
          if (v >= 0.01) {
            d.put(sc, v);
          }
        }
        per.put(client, d);
      }
    }
    Map<String, Double> c = per.getOrDefault("c-epoll", Map.of());
    System.out.println("| client | syscalls per connect | of which (per connect) |");
    System.out.println("|---|---:|---|");
    for (var e : per.entrySet()) {
      double total = e.getValue().values().stream().mapToDouble(Double::doubleValue).sum();
      StringBuilder sb = new StringBuilder();
      e.getValue().entrySet().stream()
          .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
          .forEach(x -> sb.append(sb.isEmpty() ? "" : ", ").append(x.getKey()).append(' ')
              .append(String.format("%.2f", x.getValue())));
      System.out.printf("| %s | %.2f | %s |%n", e.getKey(), total, sb);
    }
    System.out.println();
    for (var e : per.entrySet()) {
      if (e.getKey().equals("c-epoll") || c.isEmpty()) {
        continue;
      }
      StringBuilder sb = new StringBuilder();
      for (var x : e.getValue().entrySet()) {
        double extra = x.getValue() - c.getOrDefault(x.getKey(), 0.0);
        if (extra >= 0.05) {
          sb.append(sb.isEmpty() ? "" : ", ").append(String.format("%s +%.2f", x.getKey(), extra));
        }
      }
      System.out.println("more than c-epoll, " + e.getKey() + ": " + (sb.isEmpty() ? "nothing" : sb));
    }
  }
}
