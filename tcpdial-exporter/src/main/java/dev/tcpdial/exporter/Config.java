package dev.tcpdial.exporter;

import dev.tcpdial.Family;
import dev.tcpdial.PortState;
import dev.tcpdial.Target;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.common.FlowStyle;
import org.snakeyaml.engine.v2.events.CollectionEndEvent;
import org.snakeyaml.engine.v2.events.CollectionStartEvent;
import org.snakeyaml.engine.v2.events.Event;

/**
 * The exporter's configuration: served modules, modules not served (and why), continuous targets.
 * Parsed and checked once, immutable; a reload builds a new one and swaps it in whole.
 *
 * <p>An existing blackbox_exporter {@code blackbox.yml} is accepted as it is. Modules of another
 * prober, or using TCP features tcpdial does not do (query_response, TLS), are kept aside with
 * the reason; a field nobody knows is an error, as it is for blackbox_exporter.
 *
 * @param source where it came from ({@code built-in} or the file name)
 * @param modules served modules by name, in file order
 * @param notServed reason by module name, in file order
 * @param targets continuous targets
 */
public record Config(String source, Map<String, Module> modules, Map<String, String> notServed,
    List<ContinuousTarget> targets) {

  /**
   * A target the exporter dials on its own interval.
   *
   * @param target what to dial
   * @param module the module's name
   * @param interval time between two dials
   * @param labels extra labels for its series
   */
  record ContinuousTarget(Target target, String module, Duration interval,
      Map<String, String> labels) {
    ContinuousTarget {
      labels = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    }
  }

  /** Copies the modules and targets. */
  public Config {
    modules = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(modules));
    notServed = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(notServed));
    targets = List.copyOf(targets);
  }

  /** Thrown for a configuration that cannot be used; the message is one line. */
  public static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    Invalid(String message) {
      super(escape(message));
    }
  }

  /** Without {@code --config}: the built-in {@code tcp_connect} module. */
  static Config builtIn() {
    Module m = Module.builtIn();
    return new Config("built-in", Map.of(m.name(), m), Map.of(), List.of());
  }

  /** The label names of continuous targets' extra labels, sorted. */
  Set<String> extraLabelNames() {
    Set<String> names = new TreeSet<>();
    targets.forEach(t -> names.addAll(t.labels().keySet()));
    return names;
  }

  private static final Set<String> TOP = Set.of("modules", "targets");
  private static final Set<String> MODULE = Set.of(
      "prober", "timeout", "http", "tcp", "icmp", "dns", "grpc", "unix", "websocket", "tcpdial");
  private static final Set<String> TCP = Set.of("preferred_ip_protocol", "ip_protocol_fallback",
      "source_ip_address", "query_response", "tls", "tls_config");
  private static final Set<String> TCPDIAL = Set.of(
      "happy_eyeballs", "attempt_delay", "syn_retries", "retries", "family", "expect",
      "icmp_from_label", "trace_on_failure");
  private static final Set<String> TARGET = Set.of("target", "module", "interval", "labels");
  private static final java.util.regex.Pattern LABEL = java.util.regex.Pattern.compile(
      "[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Set<String> RESERVED_LABELS = Set.of("target", "module", "outcome", "le");

  /** Deeper than this a configuration is refused (blackbox.yml needs 5). */
  static final int MAX_DEPTH = 64;

  /** Parses {@code yaml} read from {@code source}. */
  static Config parse(String yaml, String source) throws Invalid {
    Object root;
    try {
      LoadSettings settings = LoadSettings.builder().setLabel(source).setAllowDuplicateKeys(false)
          .setMaxAliasesForCollections(50).build();
      // the parser keeps its own stack, the composer recurses: measure the depth first, or a
      // few thousand '[' overflow the thread's stack
      int depth = 0;
      for (Event e : new Parse(settings).parseString(yaml)) {
        if (e instanceof CollectionStartEvent) {
          if (++depth > MAX_DEPTH) {
            throw new Invalid(source + ": nested deeper than " + MAX_DEPTH + " levels");
          }
        } else if (e instanceof CollectionEndEvent) {
          depth--;
        }
      }
      root = new Load(settings).loadFromString(yaml);
    } catch (RuntimeException e) {
      throw new Invalid(source + ": not valid YAML: " + oneLine(e.getMessage()));
    }
    if (root == null) {
      throw new Invalid(source + ": empty; expected 'modules:'");
    }
    acyclic(root, java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>()),
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>()), source);
    Map<String, Object> top = map(root, "the top level", source);
    unknown(top, TOP, "the top level", source);
    Map<String, Module> served = new LinkedHashMap<>();
    Map<String, String> notServed = new LinkedHashMap<>();
    Object mods = top.get("modules");
    if (mods != null) {
      for (Map.Entry<String, Object> e : map(mods, "modules", source).entrySet()) {
        String name = e.getKey();
        String where = "module '" + name + "'";
        Map<String, Object> m = map(e.getValue() == null ? Map.of() : e.getValue(), where, source);
        unknown(m, MODULE, where, source);
        String why = module(name, m, source, served);
        if (why != null) {
          notServed.put(name, why);
        }
      }
    }
    List<ContinuousTarget> targets = new ArrayList<>();
    Object ts = top.get("targets");
    if (ts != null) {
      if (!(ts instanceof List<?> list)) {
        throw new Invalid(source + ": 'targets' must be a list");
      }
      int i = 0;
      for (Object o : list) {
        i++;
        String where = "targets[" + i + "]";
        Map<String, Object> t = map(o, where, source);
        unknown(t, TARGET, where, source);
        String mod = t.get("module") == null ? "tcp_connect" : string(t.get("module"));
        if (!served.containsKey(mod)) {
          throw new Invalid(source + ": " + where + ": module '" + mod + "' "
              + (notServed.containsKey(mod) ? "is not served: " + notServed.get(mod)
                  : "is not defined"));
        }
        Object tt = t.get("target");
        if (tt == null) {
          throw new Invalid(source + ": " + where + ": 'target' (host:port) is missing");
        }
        Target target;
        try {
          target = Target.parse(string(tt));
        } catch (IllegalArgumentException ex) {
          throw new Invalid(source + ": " + where + ": " + oneLine(ex.getMessage()));
        }
        Duration interval = t.get("interval") == null ? Duration.ofSeconds(1)
            : duration(t.get("interval"), where + ".interval", source);
        if (interval.compareTo(Duration.ofMillis(10)) < 0) {
          throw new Invalid(source + ": " + where + ".interval must be at least 10ms");
        }
        Map<String, String> labels = new LinkedHashMap<>();
        if (t.get("labels") != null) {
          Map<String, Object> given = map(t.get("labels"), where + ".labels", source);
          for (Map.Entry<String, Object> l : given.entrySet()) {
            if (!LABEL.matcher(l.getKey()).matches() || l.getKey().startsWith("__")
                || RESERVED_LABELS.contains(l.getKey())) {
              throw new Invalid(source + ": " + where + ".labels: '" + l.getKey()
                  + "' is not a label name of ours to give"
                  + " (reserved, or not [a-zA-Z_][a-zA-Z0-9_]*)");
            }
            labels.put(l.getKey(), string(l.getValue()));
          }
        }
        targets.add(new ContinuousTarget(target, mod, interval, labels));
      }
    }
    if (served.isEmpty() && notServed.isEmpty()) {
      throw new Invalid(source + ": no modules");
    }
    return new Config(source, served, notServed, targets);
  }

  // Returns null when served (and adds it), else why not.
  private static String module(String name, Map<String, Object> m, String source,
      Map<String, Module> served) throws Invalid {
    String where = "module '" + name + "'";
    String prober = m.get("prober") == null ? "" : string(m.get("prober"));
    Duration timeout = m.get("timeout") == null ? Duration.ZERO
        : duration(m.get("timeout"), where + ".timeout", source);
    if (!prober.equals("tcp")) {
      return prober.isEmpty() ? "no prober given; tcpdial serves prober: tcp"
          : "prober " + escape(prober) + ": tcpdial serves prober: tcp only";
    }
    Map<String, Object> tcp = m.get("tcp") == null ? Map.of()
        : map(m.get("tcp"), where + ".tcp", source);
    unknown(tcp, TCP, where + ".tcp", source);
    boolean preferIp6 = true;
    if (tcp.get("preferred_ip_protocol") != null) {
      String p = string(tcp.get("preferred_ip_protocol")).toLowerCase(Locale.ROOT);
      preferIp6 = switch (p) {
        case "ip6", "" -> true;
        case "ip4" -> false;
        default -> throw new Invalid(source + ": " + where
            + ".tcp.preferred_ip_protocol: '" + p + "' (use ip4 or ip6)");
      };
    }
    boolean fallback = tcp.get("ip_protocol_fallback") == null
        || bool(tcp.get("ip_protocol_fallback"), where + ".tcp.ip_protocol_fallback", source);
    InetAddress sourceAddress = null;
    if (tcp.get("source_ip_address") != null) {
      String s = string(tcp.get("source_ip_address"));
      if (!s.isEmpty()) {
        boolean literal = s.matches("[0-9A-Fa-f:.]+")
            && (s.contains(":") || s.matches("\\d{1,3}(\\.\\d{1,3}){3}"));
        if (!literal) {
          throw new Invalid(source + ": " + where + ".tcp.source_ip_address: '" + s
              + "' is not an IP address");
        }
        try {
          sourceAddress = InetAddress.getByName(s);
        } catch (UnknownHostException e) {
          throw new Invalid(source + ": " + where + ".tcp.source_ip_address: '" + s
              + "' is not an IP address");
        }
      }
    }
    Object qr = tcp.get("query_response");
    boolean tls = tcp.get("tls") != null && bool(tcp.get("tls"), where + ".tcp.tls", source);
    Map<String, Object> td = m.get("tcpdial") == null ? Map.of()
        : map(m.get("tcpdial"), where + ".tcpdial", source);
    unknown(td, TCPDIAL, where + ".tcpdial", source);
    boolean he = td.get("happy_eyeballs") == null
        || bool(td.get("happy_eyeballs"), where + ".tcpdial.happy_eyeballs", source);
    Duration delay = td.get("attempt_delay") == null ? null
        : duration(td.get("attempt_delay"), where + ".tcpdial.attempt_delay", source);
    int syn = td.get("syn_retries") == null ? 0
        : integer(td.get("syn_retries"), 0, 127, where + ".tcpdial.syn_retries", source);
    int retries = td.get("retries") == null ? 0
        : integer(td.get("retries"), 0, 10, where + ".tcpdial.retries", source);
    Family family = Family.ANY;
    if (td.get("family") != null) {
      String f = string(td.get("family")).toLowerCase(Locale.ROOT);
      family = switch (f) {
        case "any" -> Family.ANY;
        case "ipv4", "ip4", "4" -> Family.IPV4;
        case "ipv6", "ip6", "6" -> Family.IPV6;
        default -> throw new Invalid(source + ": " + where + ".tcpdial.family: '" + f
            + "' (use any, ipv4 or ipv6)");
      };
    }
    PortState expect = null;
    if (td.get("expect") != null) {
      try {
        expect = PortState.parse(string(td.get("expect")));
      } catch (IllegalArgumentException e) {
        throw new Invalid(source + ": " + where + ".tcpdial.expect: " + e.getMessage());
      }
    }
    if (syn > 0 && dev.tcpdial.Dialer.socketOptionsUnavailable().isPresent()) {
      return "tcpdial.syn_retries: " + dev.tcpdial.Dialer.socketOptionsUnavailable().get();
    }
    if (qr instanceof List<?> l && !l.isEmpty()) {
      return "tcp.query_response: tcpdial opens connections and sends nothing";
    }
    if (tls) {
      return "tcp.tls: tcpdial does not do TLS handshakes";
    }
    String yaml = new Dump(DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).build())
        .dumpToString(m);
    Module.Where whereKeys = new Module.Where(
        td.get("icmp_from_label") != null
            && bool(td.get("icmp_from_label"), where + ".tcpdial.icmp_from_label", source),
        td.get("trace_on_failure") != null
            && bool(td.get("trace_on_failure"), where + ".tcpdial.trace_on_failure", source));
    served.put(name, new Module(name, timeout, preferIp6, fallback, sourceAddress, he, delay, syn,
        retries, family, expect, yaml, whereKeys));
    return null;
  }

  /**
   * Refuses a collection that contains itself through an alias ({@code &a [[*a]]}): printing or
   * walking it would never end. {@code done} holds what was checked, so shared parts are walked
   * once.
   */
  private static void acyclic(Object o, Set<Object> path, Set<Object> done, String source)
      throws Invalid {
    if (!(o instanceof Map<?, ?> || o instanceof java.util.Collection<?>) || done.contains(o)) {
      return;
    }
    if (!path.add(o)) {
      throw new Invalid(source + ": an alias refers to a collection that contains it");
    }
    if (o instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        acyclic(e.getKey(), path, done, source);
        acyclic(e.getValue(), path, done, source);
      }
    } else {
      for (Object x : (java.util.Collection<?>) o) {
        acyclic(x, path, done, source);
      }
    }
    path.remove(o);
    done.add(o);
  }

  /**
   * {@code s} with its control characters escaped ({@code \n}, {@code \x1b}, U+2028 too):
   * a message that quotes a key or value stays one line.
   */
  static String escape(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            b.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
          } else if (c == 0x85 || c == 0x2028 || c == 0x2029) {
            b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o, String where, String source) throws Invalid {
    if (!(o instanceof Map<?, ?> m)) {
      throw new Invalid(source + ": " + where + " must be a mapping");
    }
    for (Object k : m.keySet()) {
      if (!(k instanceof String)) {
        throw new Invalid(source + ": " + where + ": key '" + k + "' is not a string");
      }
    }
    return (Map<String, Object>) m;
  }

  private static void unknown(Map<String, Object> m, Set<String> known, String where, String source)
      throws Invalid {
    for (String k : m.keySet()) {
      if (!known.contains(k)) {
        throw new Invalid(source + ": " + where + ": unknown field '" + k + "' (known: "
            + String.join(", ", new TreeSet<>(known)) + ")");
      }
    }
  }

  private static String string(Object o) {
    return o == null ? "" : o.toString();
  }

  private static boolean bool(Object o, String where, String source) throws Invalid {
    if (o instanceof Boolean b) {
      return b;
    }
    throw new Invalid(source + ": " + where + ": '" + o + "' is not true or false");
  }

  private static int integer(Object o, int min, int max, String where, String source)
      throws Invalid {
    if (o instanceof Integer i && i >= min && i <= max) {
      return i;
    }
    throw new Invalid(source + ": " + where + ": '" + o + "' is not a whole number in " + min
        + "-" + max);
  }

  private static Duration duration(Object o, String where, String source) throws Invalid {
    try {
      Duration d = GoDuration.parse(string(o));
      if (d.isNegative()) {
        throw new IllegalArgumentException("negative");
      }
      return d;
    } catch (IllegalArgumentException e) {
      throw new Invalid(source + ": " + where + ": " + e.getMessage());
    }
  }

  static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s+", " ").strip();
  }
}
