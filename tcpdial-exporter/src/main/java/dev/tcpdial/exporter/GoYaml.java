package dev.tcpdial.exporter;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.events.AliasEvent;
import org.snakeyaml.engine.v2.events.CollectionEndEvent;
import org.snakeyaml.engine.v2.events.DocumentEndEvent;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.events.MappingStartEvent;
import org.snakeyaml.engine.v2.events.NodeEvent;
import org.snakeyaml.engine.v2.events.ScalarEvent;
import org.snakeyaml.engine.v2.events.SequenceStartEvent;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * YAML read the way blackbox_exporter reads it: Go's {@code gopkg.in/yaml.v3} decoding into
 * typed structs with {@code KnownFields(true)}. SnakeYAML Engine parses (its parser keeps its own
 * stack, so depth cannot overflow ours); the tree and its decoding are here, because Go's rules
 * are not YAML 1.2's: a plain {@code yes} is a string that a bool field still takes, {@code 0} is
 * no duration, a null leaves a field as it was and drops a list entry, {@code <<} merges, keys
 * repeat nowhere, an unknown field is an error, a scalar field takes no mapping or list.
 *
 * <p>Bounded: the text is limited by the caller, nesting by {@link #MAX_DEPTH}, the nodes by
 * {@link #MAX_NODES}; aliases are expanded only as the schema walks them, and a document whose
 * decoding is mostly alias expansion is refused by yaml.v3's own rule ("excessive aliasing"), so
 * an alias bomb costs a few thousand steps, never memory.
 */
final class GoYaml {
  private GoYaml() {}

  /** Nesting deeper than this is refused (a blackbox.yml needs 8). */
  static final int MAX_DEPTH = 64;
  /** More nodes than this are refused (a 4 MiB file of one-character scalars has fewer). */
  static final int MAX_NODES = 2_000_000;

  /** A refusal: where (1-based line, 0 = none) and why, one line. */
  static final class Failure extends Exception {
    private static final long serialVersionUID = 1L;
    final int line;
    final String path;
    final String why;

    Failure(int line, String path, String why) {
      super(path + ": " + why, null, false, false);
      this.line = line;
      this.path = path;
      this.why = why;
    }
  }

  // ---- the tree ----

  enum Kind { SCALAR, SEQUENCE, MAPPING, ALIAS }

  /** One node as yaml.v3 sees it: kind, explicit tag (or null), style, text, line, content. */
  static final class Node {
    final Kind kind;
    final String tag;
    final boolean plain;
    final String value;
    final int line;
    final List<Node> content = new ArrayList<>(0);
    Node alias;

    Node(Kind kind, String tag, boolean plain, String value, int line) {
      this.kind = kind;
      this.tag = tag;
      this.plain = plain;
      this.value = value;
      this.line = line;
    }
  }

  /**
   * The first document of {@code text} as a tree; null when the stream has none (an empty file,
   * only comments). Later documents are not read, as yaml.v3's {@code Decoder.Decode} reads one.
   */
  static Node parse(String text, String label) throws Failure {
    LoadSettings settings = LoadSettings.builder().setLabel(label)
        .setCodePointLimit(Math.max(1, text.length() + 1)).build();
    List<Node> open = new ArrayList<>();
    Map<String, Node> anchors = new HashMap<>();
    Node root = null;
    int nodes = 0;
    try {
      for (Event e : new Parse(settings).parseString(text)) {
        if (e instanceof DocumentEndEvent) {
          break;
        }
        if (e instanceof CollectionEndEvent) {
          open.removeLast();
          continue;
        }
        if (!(e instanceof NodeEvent ne)) {
          continue;
        }
        int line = e.getStartMark().map(m -> m.getLine() + 1).orElse(0);
        if (++nodes > MAX_NODES) {
          throw new Failure(line, "", "more than " + MAX_NODES + " nodes");
        }
        Node n;
        if (e instanceof AliasEvent a) {
          String name = a.getAlias().getValue();
          Node target = anchors.get(name);
          if (target == null) {
            throw new Failure(line, "", "unknown anchor '" + Config.escape(name) + "' referenced");
          }
          n = new Node(Kind.ALIAS, null, false, name, line);
          n.alias = target;
        } else if (e instanceof ScalarEvent s) {
          n = new Node(Kind.SCALAR, tag(s.getTag().orElse(null)), s.isPlain(), s.getValue(), line);
        } else if (e instanceof SequenceStartEvent s) {
          n = new Node(Kind.SEQUENCE, tag(s.getTag().orElse(null)), false, "", line);
        } else if (e instanceof MappingStartEvent m) {
          n = new Node(Kind.MAPPING, tag(m.getTag().orElse(null)), false, "", line);
        } else {
          continue;
        }
        // registered before its content, as yaml.v3 does: an alias inside is a cycle
        ne.getAnchor().ifPresent(a -> anchors.put(a.getValue(), n));
        if (open.isEmpty()) {
          root = n;
        } else {
          open.getLast().content.add(n);
        }
        if (n.kind == Kind.SEQUENCE || n.kind == Kind.MAPPING) {
          if (open.size() >= MAX_DEPTH) {
            throw new Failure(line, "", "nested deeper than " + MAX_DEPTH + " levels");
          }
          open.add(n);
        }
      }
    } catch (MarkedYamlEngineException e) {
      int line = e.getProblemMark().or(e::getContextMark).map(m -> m.getLine() + 1).orElse(0);
      throw new Failure(line, "", "not valid YAML: " + Config.oneLine(e.getProblem()));
    } catch (YamlEngineException e) {
      throw new Failure(0, "", "not valid YAML: " + Config.oneLine(e.getMessage()));
    }
    return root;
  }

  /** {@code tag:yaml.org,2002:int} as yaml.v3 writes it, {@code !!int}; others as given. */
  private static String tag(String t) {
    if (t == null) {
      return null;
    }
    return t.startsWith("tag:yaml.org,2002:") ? "!!" + t.substring("tag:yaml.org,2002:".length())
        : t;
  }

  // ---- scalars as yaml.v3 resolves them ----

  /** A scalar's resolved tag ({@code !!str}, {@code !!int}, ...) and value. */
  record Resolved(String tag, Object value) {}

  private static final Pattern GO_FLOAT =
      Pattern.compile("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  private static final Set<String> RESOLVABLE =
      Set.of("", "!!str", "!!bool", "!!int", "!!float", "!!null", "!!timestamp");

  static Resolved resolve(Node n, String path) throws Failure {
    String t = n.tag == null ? "" : n.tag;
    if (t.equals("!!str") || (t.isEmpty() || t.equals("!")) && !n.plain) {
      return new Resolved("!!str", n.value);
    }
    if (!RESOLVABLE.contains(t)) {
      if (t.equals("!!binary")) {
        String b64 = n.value.replace("\r", "").replace("\n", "");
        try {
          if (b64.length() % 4 != 0) {
            throw new IllegalArgumentException();
          }
          return new Resolved("!!binary", Base64.getDecoder().decode(b64));
        } catch (IllegalArgumentException e) {
          throw new Failure(n.line, path, "!!binary value contains invalid base64 data");
        }
      }
      return new Resolved(t, n.value);
    }
    Resolved r = plain(n.value);
    if (!t.isEmpty() && !t.equals("!!str") && !r.tag.equals(t)) {
      if (t.equals("!!float") && r.tag.equals("!!int") && r.value instanceof Number num) {
        return new Resolved("!!float", num.doubleValue());
      }
      if (!(t.equals("!!timestamp") && r.tag.equals("!!str"))) {
        throw new Failure(n.line, path, "cannot decode " + r.tag + " `" + Config.escape(n.value)
            + "` as a " + t);
      }
    }
    return r;
  }

  /** yaml.v3's resolution of an untagged plain scalar (timestamps stay strings). */
  static Resolved plain(String in) {
    switch (in) {
      case "", "~", "null", "Null", "NULL" -> {
        return new Resolved("!!null", null);
      }
      case "true", "True", "TRUE" -> {
        return new Resolved("!!bool", Boolean.TRUE);
      }
      case "false", "False", "FALSE" -> {
        return new Resolved("!!bool", Boolean.FALSE);
      }
      case ".nan", ".NaN", ".NAN" -> {
        return new Resolved("!!float", Double.NaN);
      }
      case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF" -> {
        return new Resolved("!!float", Double.POSITIVE_INFINITY);
      }
      case "-.inf", "-.Inf", "-.INF" -> {
        return new Resolved("!!float", Double.NEGATIVE_INFINITY);
      }
      case "<<" -> {
        return new Resolved("!!merge", in);
      }
      default -> { }
    }
    char c = in.charAt(0);
    if (c == '.') {
      if (GO_FLOAT.matcher(in).matches()) {
        return new Resolved("!!float", Double.parseDouble(in));
      }
    } else if (c == '+' || c == '-' || c >= '0' && c <= '9') {
      String p = in.replace("_", "");
      Number i = goInt(p);
      if (i != null) {
        return new Resolved("!!int", i);
      }
      if (GO_FLOAT.matcher(p).matches()) {
        return new Resolved("!!float", Double.parseDouble(p));
      }
    }
    return new Resolved("!!str", in);
  }

  /**
   * Go's {@code strconv.ParseInt(s, 0, 64)}, then {@code ParseUint}: a Long, a BigInteger for a
   * uint64 past int64, or null.
   */
  static Number goInt(String s) {
    boolean neg = false;
    String d = s;
    if (d.startsWith("+") || d.startsWith("-")) {
      neg = d.charAt(0) == '-';
      d = d.substring(1);
    }
    int radix = 10;
    if (d.length() > 1 && d.charAt(0) == '0') {
      switch (d.charAt(1)) {
        case 'x', 'X' -> {
          radix = 16;
          d = d.substring(2);
        }
        case 'b', 'B' -> {
          radix = 2;
          d = d.substring(2);
        }
        case 'o', 'O' -> {
          radix = 8;
          d = d.substring(2);
        }
        default -> {
          radix = 8;
          d = d.substring(1);
        }
      }
    }
    if (d.isEmpty()) {
      return null;
    }
    for (int i = 0; i < d.length(); i++) {
      if (Character.digit(d.charAt(i), radix) < 0 || d.charAt(i) > 'z') {
        return null;
      }
    }
    java.math.BigInteger v = new java.math.BigInteger(d, radix);
    if (neg) {
      v = v.negate();
    }
    if (v.bitLength() < 64) {
      return v.longValue();
    }
    if (!neg && v.bitLength() == 64) {
      return v; // a uint64
    }
    return null;
  }

  // ---- the schema ----

  /** What a node must decode into. */
  sealed interface Type permits Scalar, Seq, MapOf, Struct {}

  /** Scalar types: Go's {@code string}, {@code bool}, {@code int}, and blackbox's own. */
  enum Scalar implements Type {
    /** Any scalar's text; a {@code !!binary} one its bytes ({@code byte[]}). */
    STRING("string"),
    /** true/false, and YAML 1.1's yes/no/on/off/y/n (a bool field takes those). */
    BOOL("bool"),
    /** An integer (a float is truncated, as Go's yaml.v3 does); a Long. */
    INT("int"),
    /** A Go duration string ({@code 5s}); never a bare number. */
    DURATION("time.Duration"),
    /** Anything at all (Go's {@code interface{}}), walked to be bounded. */
    ANY("interface {}");

    final String goName;

    Scalar(String goName) {
      this.goName = goName;
    }
  }

  /** A list of {@code elem}. */
  record Seq(Type elem) implements Type {}

  /** A mapping from string keys to {@code value}. */
  record MapOf(Type value) implements Type {}

  /**
   * A Go struct: its known fields, then a check of the decoded whole (its {@code UnmarshalYAML}),
   * and a text parser for its scalar form (a type with its own scalar syntax, e.g. a regexp).
   */
  record Struct(String goName, Map<String, Type> fields, Check check, TextForm text)
      implements Type {}

  /** A struct's own check, as its Go {@code UnmarshalYAML} does it after decoding. */
  interface Check {
    void check(Obj o) throws Failure;
  }

  /** A type whose YAML form is one scalar string, parsed (regexp, TLS version, URL, size). */
  interface TextForm {
    Object parse(String text, Node n, String path) throws Failure;
  }

  static Struct struct(String goName, Check check, Object... namesAndTypes) {
    Map<String, Type> f = new LinkedHashMap<>();
    for (int i = 0; i < namesAndTypes.length; i += 2) {
      f.put((String) namesAndTypes[i], (Type) namesAndTypes[i + 1]);
    }
    return new Struct(goName, Collections.unmodifiableMap(f), check, null);
  }

  /** A type read from one scalar through {@code form} (Go: {@code unmarshal(&s)} then parse). */
  static Struct text(String goName, TextForm form) {
    return new Struct(goName, Map.of(), null, form);
  }

  /** A struct's decoded fields (absent = not given or null) with their lines and path. */
  static final class Obj {
    final String path;
    final int line;
    final Map<String, Object> values = new LinkedHashMap<>();
    final Map<String, Integer> lines = new HashMap<>();

    Obj(String path, int line) {
      this.path = path;
      this.line = line;
    }

    boolean has(String f) {
      return values.get(f) != null;
    }

    Object get(String f) {
      return values.get(f);
    }

    /** Go's string value: the text, "" when absent. */
    String str(String f) {
      return GoYaml.str(values.get(f));
    }

    boolean bool(String f, boolean dflt) {
      Object v = values.get(f);
      return v == null ? dflt : (Boolean) v;
    }

    Obj obj(String f) {
      return (Obj) values.get(f);
    }

    @SuppressWarnings("unchecked")
    List<Object> list(String f) {
      Object v = values.get(f);
      return v == null ? List.of() : (List<Object>) v;
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> map(String f) {
      Object v = values.get(f);
      return v == null ? Map.of() : (Map<String, Object>) v;
    }

    int line(String f) {
      return lines.getOrDefault(f, line);
    }

    String path(String f) {
      return path.isEmpty() ? f : path + "." + f;
    }

    Failure fail(String why) {
      return new Failure(line, path, why);
    }

    Failure fail(String field, String why) {
      return new Failure(line(field), path(field), why);
    }
  }

  /** A decoded Go string: text, or a {@code !!binary} value's bytes read as UTF-8. */
  static String str(Object v) {
    return v == null ? "" : v instanceof byte[] b ? new String(b, StandardCharsets.UTF_8)
        : v.toString();
  }

  /** A decoded Go string's bytes: {@code !!binary} as it is, text as UTF-8. */
  static byte[] bytes(Object v) {
    return v == null ? new byte[0] : v instanceof byte[] b ? b.clone()
        : v.toString().getBytes(StandardCharsets.UTF_8);
  }

  // ---- decoding ----

  /** Decodes one document's tree against {@code type}, as yaml.v3 would into a Go value. */
  static Object decode(Node root, Type type) throws Failure {
    return new Decoder().decode(root, type, "", 0);
  }

  private static final class Decoder {
    private long decodeCount;
    private long aliasCount;
    private int aliasDepth;
    private final Set<Node> expanding = Collections.newSetFromMap(new IdentityHashMap<>());
    // the merge in progress: keys already set, which a merged mapping must not set again
    private Set<String> merged;

    /**
     * yaml.v3's bound on alias expansion: past 100 aliased decodes and 1,000 in all, the share
     * from aliases may be 99% for documents up to 400,000 decodes, falling to 10% at 4,000,000.
     */
    private void count(Node n, String path) throws Failure {
      decodeCount++;
      if (aliasDepth > 0) {
        aliasCount++;
      }
      if (aliasCount > 100 && decodeCount > 1000
          && (double) aliasCount / decodeCount > allowedAliasRatio(decodeCount)) {
        throw new Failure(n.line, path, "document contains excessive aliasing");
      }
    }

    private static double allowedAliasRatio(long decodes) {
      if (decodes <= 400_000) {
        return 0.99;
      }
      if (decodes >= 4_000_000) {
        return 0.10;
      }
      return 0.99 - 0.89 * ((decodes - 400_000) / 3_600_000.0);
    }

    Object decode(Node n, Type type, String path, int depth) throws Failure {
      count(n, path);
      if (depth > 4 * MAX_DEPTH) {
        throw new Failure(n.line, path, "nested deeper than " + 4 * MAX_DEPTH
            + " levels through aliases");
      }
      if (n.kind == Kind.ALIAS) {
        if (!expanding.add(n)) {
          throw new Failure(n.line, path, "anchor '" + Config.escape(n.value)
              + "' value contains itself");
        }
        aliasDepth++;
        try {
          return decode(n.alias, type, path, depth + 1);
        } finally {
          aliasDepth--;
          expanding.remove(n);
        }
      }
      if (!expanding.add(n)) {
        throw new Failure(n.line, path, "an alias refers to a collection that contains it");
      }
      try {
        return switch (n.kind) {
          case SCALAR -> scalar(n, type, path);
          case SEQUENCE -> sequence(n, type, path, depth);
          default -> mapping(n, type, path, depth);
        };
      } finally {
        expanding.remove(n);
      }
    }

    private Object scalar(Node n, Type type, String path) throws Failure {
      Resolved r = resolve(n, path);
      if (r.tag.equals("!!null")) {
        return null;
      }
      if (type instanceof Struct s) {
        if (s.text == null) {
          throw typeError(n, r, s.goName.isEmpty() ? "config.plain" : s.goName, path);
        }
        return s.text.parse(r.value instanceof byte[] b ? new String(b, StandardCharsets.UTF_8)
            : n.value, n, path);
      }
      if (type instanceof Seq || type instanceof MapOf) {
        throw typeError(n, r, goName(type), path);
      }
      switch ((Scalar) type) {
        case STRING -> {
          return r.value instanceof byte[] b ? b : n.value;
        }
        case ANY -> {
          return r.value;
        }
        case BOOL -> {
          if (r.value instanceof Boolean b) {
            return b;
          }
          if (r.value instanceof String s) {
            switch (s) {
              case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON" -> {
                return Boolean.TRUE;
              }
              case "n", "N", "no", "No", "NO", "off", "Off", "OFF" -> {
                return Boolean.FALSE;
              }
              default -> { }
            }
          }
          throw typeError(n, r, "bool", path);
        }
        case INT -> {
          if (r.value instanceof Long l) {
            return l;
          }
          if (r.value instanceof Double d && d <= 0x1p63 && !Double.isNaN(d)) {
            return (long) (double) d;
          }
          throw typeError(n, r, "int", path);
        }
        default -> {
          String why = "a number needs a unit, e.g. 5s";
          if (r.value instanceof String s) {
            try {
              return GoDuration.parse(s);
            } catch (IllegalArgumentException e) {
              why = e.getMessage();
            }
          }
          Failure f = typeError(n, r, "time.Duration", path);
          throw new Failure(f.line, f.path, f.why + " (" + why + ")");
        }
      }
    }

    private static Failure typeError(Node n, Resolved r, String into, String path) {
      String value = r.tag.equals("!!seq") || r.tag.equals("!!map") ? ""
          : " `" + Config.escape(n.value.length() > 10 ? n.value.substring(0, 7) + "..."
              : n.value) + "`";
      String tag = n.tag != null ? n.tag : r.tag;
      return new Failure(n.line, path, "cannot unmarshal " + tag + value + " into " + into);
    }

    private static String goName(Type t) {
      return switch (t) {
        case Scalar s -> s.goName;
        case Seq s -> "[]" + goName(s.elem);
        case MapOf m -> "map[string]" + goName(m.value);
        case Struct s -> s.goName.isEmpty() ? "config.plain" : s.goName;
      };
    }

    private Object sequence(Node n, Type type, String path, int depth) throws Failure {
      if (type == Scalar.ANY) {
        List<Object> out = new ArrayList<>();
        for (Node e : n.content) {
          out.add(decode(e, Scalar.ANY, path, depth + 1));
        }
        return out;
      }
      if (!(type instanceof Seq seq)) {
        throw new Failure(n.line, path, "cannot unmarshal " + (n.tag == null ? "!!seq" : n.tag)
            + " into " + goName(type));
      }
      List<Object> out = new ArrayList<>();
      int i = 0;
      for (Node e : n.content) {
        Object v = decode(e, seq.elem, path + "[" + i++ + "]", depth + 1);
        // a null entry is dropped, as yaml.v3 drops what it cannot set
        if (v != null) {
          out.add(v);
        }
      }
      return out;
    }

    private Object mapping(Node n, Type type, String path, int depth) throws Failure {
      if (type instanceof Struct s && s.text == null) {
        Obj o = new Obj(path, n.line);
        entries(n, path, depth, true, (key, keyNode, valueNode) -> {
          Type t = s.fields.get(key);
          if (t == null) {
            throw new Failure(keyNode.line, o.path(key), "field " + Config.escape(key)
                + " not found in type " + goName(s) + " (known: "
                + String.join(", ", new java.util.TreeSet<>(s.fields.keySet())) + ")");
          }
          Object v = decode(valueNode, t, o.path(key), depth + 1);
          o.lines.put(key, valueNode.line);
          if (v != null) {
            o.values.put(key, v);
          }
        });
        if (s.check != null) {
          s.check.check(o);
        }
        return o;
      }
      if (type instanceof MapOf || type == Scalar.ANY) {
        Type value = type instanceof MapOf m ? m.value : Scalar.ANY;
        Map<String, Object> out = new LinkedHashMap<>();
        entries(n, path, depth, false, (key, keyNode, valueNode) -> {
          Object v = decode(valueNode, value, path.isEmpty() ? key : path + "." + key, depth + 1);
          if (v != null) {
            out.put(key, v);
          } else {
            out.putIfAbsent(key, zero(value));
          }
        });
        return out;
      }
      throw new Failure(n.line, path, "cannot unmarshal " + (n.tag == null ? "!!map" : n.tag)
          + " into " + goName(type));
    }

    /** A null map value is the value type's zero (a string's is "", a struct's empty). */
    private static Object zero(Type t) {
      return t == Scalar.STRING ? "" : t instanceof Struct s && s.text == null
          ? new Obj("", 0) : null;
    }

    interface Entry {
      void accept(String key, Node keyNode, Node valueNode) throws Failure;
    }

    /**
     * The pairs of a mapping, then those it merges ({@code <<}) that are not set already, as
     * yaml.v3 does: its own keys first, then each merged mapping in order, the first one to set a
     * key winning. A null key is skipped, one that is no scalar refused; a key repeated in one
     * mapping is refused, and, into a struct, two keys naming one field.
     */
    private void entries(Node n, String path, int depth, boolean struct, Entry each)
        throws Failure {
      Map<String, Integer> raw = new HashMap<>();
      for (int i = 0; i + 1 < n.content.size(); i += 2) {
        Node k = n.content.get(i);
        Integer first = raw.putIfAbsent(k.kind + ":" + k.value, k.line);
        if (first != null) {
          throw new Failure(k.line, path, "mapping key \"" + Config.escape(k.value)
              + "\" already defined at line " + first);
        }
      }
      Set<String> outer = merged;
      merged = null;
      Node merge = null;
      Set<String> mine = new java.util.HashSet<>();
      for (int i = 0; i + 1 < n.content.size(); i += 2) {
        Node k = n.content.get(i);
        if (k.kind == Kind.SCALAR && k.value.equals("<<") && k.plain
            && (k.tag == null || k.tag.equals("!") || k.tag.equals("!!merge"))) {
          merge = n.content.get(i + 1);
          continue;
        }
        Node key = k.kind == Kind.ALIAS ? k.alias : k;
        if (key.kind != Kind.SCALAR) {
          throw new Failure(k.line, path, "cannot unmarshal " + (key.kind == Kind.SEQUENCE
              ? "!!seq" : "!!map") + " into string");
        }
        Resolved r = resolve(key, path);
        if (r.tag.equals("!!null")) {
          continue;
        }
        String name = r.value instanceof byte[] b ? new String(b, StandardCharsets.UTF_8)
            : key.value;
        if (outer != null && !outer.add(name)) {
          continue;
        }
        if (!mine.add(name) && struct) {
          throw new Failure(k.line, path.isEmpty() ? name : path + "." + name, "field "
              + Config.escape(name) + " already set");
        }
        each.accept(name, k, n.content.get(i + 1));
      }
      merged = outer;
      if (merge == null) {
        return;
      }
      if (merged == null) {
        merged = new java.util.HashSet<>(mine);
      }
      try {
        Node target = merge.kind == Kind.ALIAS ? merge.alias : merge;
        if (target.kind == Kind.MAPPING) {
          mergeOne(merge, path, depth, struct, each);
        } else if (target.kind == Kind.SEQUENCE && merge.kind != Kind.ALIAS) {
          for (Node e : merge.content) {
            if ((e.kind == Kind.ALIAS ? e.alias : e).kind != Kind.MAPPING) {
              throw new Failure(e.line, path, "map merge requires map or sequence of maps as"
                  + " the value");
            }
          }
          for (Node e : merge.content) {
            mergeOne(e, path, depth, struct, each);
          }
        } else {
          throw new Failure(merge.line, path, "map merge requires map or sequence of maps as"
              + " the value");
        }
      } finally {
        merged = outer;
      }
    }

    private void mergeOne(Node m, String path, int depth, boolean struct, Entry each)
        throws Failure {
      count(m, path);
      if (m.kind == Kind.ALIAS) {
        if (!expanding.add(m)) {
          throw new Failure(m.line, path, "anchor '" + Config.escape(m.value)
              + "' value contains itself");
        }
        aliasDepth++;
        try {
          mergeOne(m.alias, path, depth + 1, struct, each);
        } finally {
          aliasDepth--;
          expanding.remove(m);
        }
        return;
      }
      if (!expanding.add(m)) {
        throw new Failure(m.line, path, "an alias refers to a collection that contains it");
      }
      try {
        entries(m, path, depth + 1, struct, each);
      } finally {
        expanding.remove(m);
      }
    }
  }
}
