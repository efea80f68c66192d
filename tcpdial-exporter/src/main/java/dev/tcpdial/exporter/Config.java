package dev.tcpdial.exporter;

import dev.tcpdial.Family;
import dev.tcpdial.PortState;
import dev.tcpdial.Target;
import dev.tcpdial.exporter.GoYaml.Failure;
import dev.tcpdial.exporter.GoYaml.Obj;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;

/**
 * The exporter's configuration: served modules, modules not served (and why), continuous targets.
 * Parsed and checked once, immutable; a reload builds a new one and swaps it in whole.
 *
 * <p>A file is judged as blackbox_exporter judges it ({@link BlackboxSchema}, read the way Go's
 * yaml.v3 reads it, {@link GoYaml}): what it refuses is refused, with one line naming the file,
 * the line and the field; what it takes is taken. A module tcpdial cannot probe (another prober,
 * or a feature the prober lacks) is kept aside with the reason. tcpdial adds {@code tcpdial:} in a
 * module and top-level {@code targets:}, which blackbox_exporter would refuse.
 *
 * @param source where it came from ({@code built-in} or the file name)
 * @param modules served modules by name, in file order
 * @param notServed reason by module name, in file order
 * @param targets continuous targets
 * @param tcpModules every {@code prober: tcp} module as read and checked, served or not (the
 *     model a probe runs; those not served use a feature the prober lacks or fail in
 *     blackbox_exporter too)
 */
public record Config(String source, Map<String, Module> modules, Map<String, String> notServed,
    List<ContinuousTarget> targets, Map<String, Module> tcpModules) {

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
      labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    }
  }

  /** Copies the modules and targets. */
  public Config {
    modules = Collections.unmodifiableMap(new LinkedHashMap<>(modules));
    notServed = Collections.unmodifiableMap(new LinkedHashMap<>(notServed));
    targets = List.copyOf(targets);
    tcpModules = Collections.unmodifiableMap(new LinkedHashMap<>(tcpModules));
  }

  /**
   * The {@code prober: tcp} module {@code name} of {@code c}, served or not.
   *
   * @throws IllegalArgumentException when {@code c} has no such module
   */
  static Module model(Config c, String name) {
    Module m = c.tcpModules().get(name);
    if (m == null) {
      throw new IllegalArgumentException("no prober: tcp module '" + name + "'");
    }
    return m;
  }

  /** Thrown for a configuration that cannot be used; the message is one line. */
  public static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    Invalid(String message) {
      super(escape(message), null, false, false);
    }
  }

  /** Without {@code --config}: the built-in {@code tcp_connect} module. */
  static Config builtIn() {
    Module m = Module.builtIn();
    return new Config("built-in", Map.of(m.name(), m), Map.of(), List.of(), Map.of(m.name(), m));
  }

  /** The label names of continuous targets' extra labels, sorted. */
  Set<String> extraLabelNames() {
    Set<String> names = new TreeSet<>();
    targets.forEach(t -> names.addAll(t.labels().keySet()));
    return names;
  }

  /** A file larger than this is refused before it is parsed (a blackbox.yml is kilobytes). */
  static final int MAX_BYTES = 4 << 20;

  private static final java.util.regex.Pattern LABEL = java.util.regex.Pattern.compile(
      "[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Set<String> RESERVED_LABELS = Set.of("target", "module", "outcome", "le");

  /**
   * Reads and parses the file {@code f}: at most {@link #MAX_BYTES}, a regular file, UTF-8.
   *
   * @throws Invalid for a file that cannot be read or used (one line naming it)
   */
  public static Config load(Path f) throws Invalid {
    return parse(read(f), f.toString());
  }

  /** The text of {@code f}, bounded: a FIFO, a device or a huge file is refused unread. */
  static String read(Path f) throws Invalid {
    if (!Files.isRegularFile(f)) {
      throw new Invalid(f + ": cannot read: " + (Files.exists(f, LinkOption.NOFOLLOW_LINKS)
          || Files.exists(f) ? "not a regular file" : "no such file"));
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(f)) {
      bytes = in.readNBytes(MAX_BYTES + 1);
    } catch (NoSuchFileException e) {
      throw new Invalid(f + ": cannot read: no such file");
    } catch (IOException | RuntimeException e) {
      throw new Invalid(f + ": cannot read: " + oneLine(String.valueOf(e.getMessage())));
    }
    if (bytes.length > MAX_BYTES) {
      throw new Invalid(f + ": larger than " + (MAX_BYTES >> 20) + " MiB");
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new Invalid(f + ": not UTF-8 text");
    }
  }

  private static final String TOO_DEEP =
      ": too large or too deeply nested to read (StackOverflowError)";
  private static final String TOO_LARGE =
      ": too large or too deeply nested to read (OutOfMemoryError)";

  /**
   * Parses {@code yaml} read from {@code source}; never throws anything but {@link Invalid},
   * whatever the text (running out of stack or memory while reading it included).
   */
  static Config parse(String yaml, String source) throws Invalid {
    return parse(yaml, source, Config::build);
  }

  /** How a text becomes a configuration; a test swaps it to fail as parsing can. */
  interface Builder {
    Config build(String yaml, String source) throws Failure, Invalid;
  }

  static Config parse(String yaml, String source, Builder builder) throws Invalid {
    try {
      return builder.build(yaml, source);
    } catch (Failure f) {
      throw new Invalid(source + (f.line > 0 ? ":" + f.line : "") + ": "
          + (f.path.isEmpty() ? "" : f.path + ": ") + f.why);
    } catch (StackOverflowError | OutOfMemoryError e) {
      // little stack or heap may be left here: no string concatenation to link, no formatting
      throw new Invalid(source.concat(e instanceof StackOverflowError ? TOO_DEEP : TOO_LARGE));
    }
  }

  private static Config build(String yaml, String source) throws Failure, Invalid {
    if (yaml.length() > MAX_BYTES) {
      throw new Invalid(source + ": larger than " + (MAX_BYTES >> 20) + " MiB");
    }
    GoYaml.Node root = GoYaml.parse(yaml, source);
    if (root == null) {
      // blackbox_exporter: "error parsing config file: EOF"
      throw new Invalid(source + ": empty: no YAML document (expected 'modules:')");
    }
    Obj file = (Obj) GoYaml.decode(root, BlackboxSchema.FILE);
    Map<String, Module> served = new LinkedHashMap<>();
    Map<String, String> notServed = new LinkedHashMap<>();
    Map<String, Module> tcpModules = new LinkedHashMap<>();
    if (file != null) {
      for (Map.Entry<String, Object> e : file.map("modules").entrySet()) {
        String name = e.getKey();
        Obj m = (Obj) e.getValue();
        String why = module(name, m, tcpModules);
        if (why == null) {
          served.put(name, tcpModules.get(name));
        } else {
          notServed.put(name, why);
        }
      }
    }
    List<ContinuousTarget> targets = new ArrayList<>();
    int i = 0;
    for (Object o : file == null ? List.of() : file.list("targets")) {
      targets.add(target((Obj) o, i++, served, notServed, source));
    }
    return new Config(source, served, notServed, targets, tcpModules);
  }

  private static ContinuousTarget target(Obj t, int i, Map<String, Module> served,
      Map<String, String> notServed, String source) throws Invalid {
    String where = source + ":" + t.line + ": targets[" + i + "]";
    String mod = t.has("module") ? t.str("module") : "tcp_connect";
    if (!served.containsKey(mod)) {
      throw new Invalid(where + ".module: module '" + mod + "' " + (notServed.containsKey(mod)
          ? "is not served: " + notServed.get(mod) : "is not defined"));
    }
    if (t.str("target").isEmpty()) {
      throw new Invalid(where + ": 'target' (host:port) is missing");
    }
    Target target;
    try {
      target = Target.parse(t.str("target"));
    } catch (IllegalArgumentException ex) {
      throw new Invalid(where + ".target: " + oneLine(ex.getMessage()));
    }
    Duration interval = t.has("interval") ? (Duration) t.get("interval") : Duration.ofSeconds(1);
    if (interval.compareTo(Duration.ofMillis(10)) < 0) {
      throw new Invalid(where + ".interval: must be at least 10ms");
    }
    Map<String, String> labels = new LinkedHashMap<>();
    for (Map.Entry<String, Object> l : t.map("labels").entrySet()) {
      if (!LABEL.matcher(l.getKey()).matches() || l.getKey().startsWith("__")
          || RESERVED_LABELS.contains(l.getKey())) {
        throw new Invalid(where + ".labels: '" + l.getKey() + "' is not a label name of ours to"
            + " give (reserved, or not [a-zA-Z_][a-zA-Z0-9_]*)");
      }
      labels.put(l.getKey(), GoYaml.str(l.getValue()));
    }
    return new ContinuousTarget(target, mod, interval, labels);
  }

  /**
   * Reads module {@code name}; a {@code prober: tcp} module joins {@code tcpModules}. Returns
   * null when it is served, else why not.
   */
  private static String module(String name, Obj m, Map<String, Module> tcpModules)
      throws Failure {
    String prober = m.str("prober");
    if (prober.isEmpty()) {
      return "no prober given (an empty module); tcpdial serves prober: tcp";
    }
    if (!prober.equals("tcp")) {
      return "prober " + prober + ": tcpdial serves prober: tcp only" + dnsRegexps(m);
    }
    // blackbox_exporter uses a module's timeout only when it is above zero
    Duration timeout = m.has("timeout") && !((Duration) m.get("timeout")).isNegative()
        ? (Duration) m.get("timeout") : Duration.ZERO;
    Obj tcp = m.has("tcp") ? m.obj("tcp") : new Obj(m.path("tcp"), m.line);
    // blackbox_exporter: "ip6" and "" prefer IPv6, anything else IPv4
    String protocol = tcp.str("preferred_ip_protocol");
    boolean preferIp6 = protocol.equals("ip6") || protocol.isEmpty();
    boolean fallback = tcp.bool("ip_protocol_fallback", true);
    String src = tcp.str("source_ip_address");
    InetAddress source = src.isEmpty() ? null : ipLiteral(src);
    boolean tls = tcp.bool("tls", false);
    TlsConfig tlsConfig = tcp.has("tls_config") ? tlsConfig(tcp.obj("tls_config"))
        : TlsConfig.DEFAULT;
    List<QueryStep> steps = new ArrayList<>();
    for (Object o : tcp.list("query_response")) {
      steps.add(step((Obj) o));
    }
    Obj td = m.has("tcpdial") ? m.obj("tcpdial") : new Obj(m.path("tcpdial"), m.line);
    boolean he = td.bool("happy_eyeballs", true);
    Duration delay = (Duration) td.get("attempt_delay");
    if (delay != null && delay.isNegative()) {
      throw td.fail("attempt_delay", "must not be negative");
    }
    int syn = range(td, "syn_retries", 0, 127);
    int retries = range(td, "retries", 0, 10);
    Family family = switch (td.str("family").toLowerCase(Locale.ROOT)) {
      case "", "any" -> Family.ANY;
      case "ipv4", "ip4", "4" -> Family.IPV4;
      case "ipv6", "ip6", "6" -> Family.IPV6;
      default -> throw td.fail("family", "'" + escape(td.str("family"))
          + "' (use any, ipv4 or ipv6)");
    };
    PortState expect = null;
    if (!td.str("expect").isEmpty()) {
      try {
        expect = PortState.parse(td.str("expect"));
      } catch (IllegalArgumentException e) {
        throw td.fail("expect", oneLine(e.getMessage()));
      }
    }
    Module.Where where = new Module.Where(td.bool("icmp_from_label", false),
        td.bool("trace_on_failure", false));
    Module module = new Module(name, timeout, preferIp6, fallback, source, tls, tlsConfig, steps,
        he, delay, syn, retries, family, expect, yaml(m), where);
    tcpModules.put(name, module);
    if (!src.isEmpty() && source == null) {
      return "tcp.source_ip_address: '" + escape(src) + "' is not an IP address"
          + " (blackbox_exporter fails every probe of this module)";
    }
    String why = failsInBlackbox(module);
    if (why != null) {
      return why;
    }
    if (syn > 0 && dev.tcpdial.Dialer.socketOptionsUnavailable().isPresent()) {
      return "tcpdial.syn_retries: " + dev.tcpdial.Dialer.socketOptionsUnavailable().get();
    }
    return notProbed(module);
  }

  /**
   * blackbox_exporter compiles a {@code dns} module's answer checks only when it probes; they are
   * compiled here too, and one that does not compile is named (a note, as the module is not
   * served anyway).
   */
  private static String dnsRegexps(Obj m) {
    Obj dns = m.obj("dns");
    if (dns == null) {
      return "";
    }
    for (String section : List.of("validate_answer_rrs", "validate_authority_rrs",
        "validate_additional_rrs")) {
      Obj v = dns.obj(section);
      for (String list : v == null ? List.<String>of() : v.values.keySet()) {
        for (Object re : v.list(list)) {
          try {
            com.google.re2j.Pattern.compile(GoYaml.str(re));
          } catch (com.google.re2j.PatternSyntaxException e) {
            return "; dns." + section + "." + list + ": '" + escape(GoYaml.str(re))
                + "' does not compile (blackbox_exporter fails every probe of this module)";
          }
        }
      }
    }
    return "";
  }

  /**
   * Why the prober cannot run {@code m} (a module the configuration accepts), or null when it
   * can: the one place that says which of the model's features the probe does.
   */
  static String notProbed(Module m) {
    TlsConfig t = m.tlsConfig();
    boolean usesTls = m.tls() || m.queryResponse().stream().anyMatch(QueryStep::startTls);
    if (usesTls && (t.caRef() != null || t.certRef() != null || t.keyRef() != null)) {
      return "tcp.tls_config: ca_ref, cert_ref and key_ref need a secret manager, which tcpdial"
          + " does not have";
    }
    return null;
  }

  /**
   * What blackbox_exporter accepts at load but fails at every probe (it checks these only when it
   * probes): said at load here, the module not served. Null when none.
   */
  static String failsInBlackbox(Module m) {
    TlsConfig t = m.tlsConfig();
    if (t.minVersion() != null && t.maxVersion() != null
        && t.maxVersion().compareTo(t.minVersion()) < 0) {
      return "tcp.tls_config.max_version " + t.maxVersion() + " is below min_version "
          + t.minVersion();
    }
    for (String ref : new String[] {t.caRef(), t.certRef(), t.keyRef()}) {
      if (ref != null) {
        return "tcp.tls_config: ca_ref, cert_ref and key_ref need a secret manager, which"
            + " blackbox_exporter does not have";
      }
    }
    boolean labelled = false;
    for (int i = 0; i < m.queryResponse().size(); i++) {
      List<QueryStep.Label> labels = m.queryResponse().get(i).labels();
      if (labels.isEmpty()) {
        continue;
      }
      if (labelled) {
        return "tcp.query_response[" + i + "].labels: labels on a second step (blackbox_exporter"
            + " registers probe_expect_info once)";
      }
      labelled = true;
      Set<String> names = new HashSet<>();
      for (QueryStep.Label l : labels) {
        if (!LABEL.matcher(l.name()).matches() || l.name().startsWith("__")) {
          return "tcp.query_response[" + i + "].labels: '" + escape(l.name())
              + "' is not a label name";
        }
        if (!names.add(l.name())) {
          return "tcp.query_response[" + i + "].labels: '" + escape(l.name()) + "' given twice";
        }
      }
    }
    return null;
  }

  private static TlsConfig tlsConfig(Obj t) {
    return new TlsConfig(text(t, "ca"), path(t, "ca_file"), text(t, "ca_ref"), text(t, "cert"),
        path(t, "cert_file"), text(t, "cert_ref"), text(t, "key"), path(t, "key_file"),
        text(t, "key_ref"), text(t, "server_name"), t.bool("insecure_skip_verify", false),
        (TlsConfig.Version) t.get("min_version"), (TlsConfig.Version) t.get("max_version"));
  }

  private static QueryStep step(Obj q) {
    List<QueryStep.Label> labels = new ArrayList<>();
    for (Object o : q.list("labels")) {
      Obj l = (Obj) o;
      labels.add(new QueryStep.Label(l.str("name"), l.str("value")));
    }
    byte[] expectBytes = GoYaml.bytes(q.get("expect_bytes"));
    byte[] send = GoYaml.bytes(q.get("send"));
    return new QueryStep((com.google.re2j.Pattern) q.get("expect"),
        expectBytes.length == 0 ? null : expectBytes, labels, send.length == 0 ? null : send,
        q.bool("starttls", false));
  }

  /** A Go string field: null when empty, as Go treats an empty string as not given. */
  private static String text(Obj o, String f) {
    String s = o.str(f);
    return s.isEmpty() ? null : s;
  }

  private static Path path(Obj o, String f) {
    String s = o.str(f);
    try {
      return s.isEmpty() ? null : Path.of(s);
    } catch (java.nio.file.InvalidPathException e) {
      return Path.of(s.replace('\0', '?')); // Go would fail to open it; so does this
    }
  }

  private static int range(Obj o, String f, int min, int max) throws Failure {
    Object v = o.get(f);
    if (v == null) {
      return 0;
    }
    long l = (Long) v;
    if (l < min || l > max) {
      throw o.fail(f, "'" + l + "' is not a whole number in " + min + "-" + max);
    }
    return (int) l;
  }

  private static final java.util.regex.Pattern IPV4 = java.util.regex.Pattern.compile(
      "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]"
          + "|[1-9]?[0-9])){3}");

  /** Go's {@code net.ParseIP}: dotted decimal without leading zeros, or IPv6; else null. */
  static InetAddress ipLiteral(String s) {
    try {
      if (IPV4.matcher(s).matches()) {
        return InetAddress.ofLiteral(s);
      }
      if (s.contains(":") && s.matches("[0-9A-Fa-f:.]+")) {
        return InetAddress.ofLiteral(s);
      }
    } catch (IllegalArgumentException e) {
      // not an address
    }
    return null;
  }

  private static final DumpSettings BLOCK =
      DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).build();

  /** The module as the debug page shows it: the values read, secrets hidden. */
  private static String yaml(Obj m) {
    return new Dump(BLOCK).dumpToString(plain(m, ""));
  }

  private static Object plain(Object v, String field) {
    if (v instanceof Obj o) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<String, Object> e : o.values.entrySet()) {
        out.put(e.getKey(), plain(e.getValue(), e.getKey()));
      }
      return out;
    }
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      m.forEach((k, x) -> out.put(String.valueOf(k), plain(x, "")));
      return out;
    }
    if (v instanceof List<?> l) {
      return l.stream().map(x -> plain(x, "")).toList();
    }
    if (field.equals("key") || field.equals("password") || field.equals("credentials")
        || field.equals("client_secret") || field.equals("bearer_token")) {
      return "<secret>";
    }
    if (v instanceof Duration d) {
      return GoDuration.format(d);
    }
    if (v instanceof com.google.re2j.Pattern p) {
      return p.pattern();
    }
    if (v instanceof TlsConfig.Version t) {
      return t.name();
    }
    return v;
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

  static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s+", " ").strip();
  }
}
