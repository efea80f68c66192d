package dev.tcpdial.exporter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * {@code --web.config.file}, in the Prometheus exporter toolkit's format (its {@code
 * docs/web-configuration.md}): {@code tls_server_config}, {@code http_server_config}, {@code
 * basic_auth_users}, {@code rate_limit}. An unknown field, a header the toolkit does not allow, a
 * password that is not a bcrypt hash or TLS files that do not load are refused with one line. Paths
 * are relative to the file's directory, as the toolkit has them.
 *
 * @param source the file, for messages
 * @param tls the TLS settings, or null for plain HTTP
 * @param http2 {@code http_server_config.http2} (accepted; tcpdial serves HTTP/1.1 only)
 * @param headers {@code http_server_config.headers}: set on every answer
 * @param users user name to bcrypt hash; empty: no authentication
 * @param rateLimit requests at most one per this interval on average, or null
 * @param burst requests allowed at once above the rate
 */
record WebConfig(String source, Tls tls, boolean http2, Map<String, String> headers,
    Map<String, String> users, Duration rateLimit, int burst) {

  /**
   * {@code tls_server_config}.
   *
   * @param certFile {@code cert_file}, resolved, or null
   * @param cert {@code cert}: inline PEM, or null
   * @param keyFile {@code key_file}, resolved, or null
   * @param key {@code key}: inline PEM, or null
   * @param clientAuth {@code client_auth_type}, Go's names
   * @param clientCaFile {@code client_ca_file}, resolved, or null
   * @param clientCa {@code client_ca}: inline PEM, or null
   * @param allowedSans {@code client_allowed_sans}; empty: any
   * @param minVersion {@code min_version}: TLS10...TLS13
   * @param maxVersion {@code max_version}
   * @param cipherSuites {@code cipher_suites} (IANA names as Go writes them); empty: the JDK's
   * @param curves {@code curve_preferences} (Go's names); empty: the JDK's
   */
  record Tls(Path certFile, String cert, Path keyFile, String key, String clientAuth,
      Path clientCaFile, String clientCa, List<String> allowedSans, String minVersion,
      String maxVersion, List<String> cipherSuites, List<String> curves) {}

  /** Go's {@code tls.ClientAuthType} names the toolkit accepts. */
  static final Set<String> CLIENT_AUTH = Set.of("NoClientCert", "RequestClientCert",
      "RequireAnyClientCert", "RequireClientCert", "VerifyClientCertIfGiven",
      "RequireAndVerifyClientCert");
  static final List<String> VERSIONS = List.of("TLS10", "TLS11", "TLS12", "TLS13");
  /** The headers the toolkit lets a configuration set, with their allowed values (null: any). */
  static final Map<String, List<String>> HEADERS = Map.of(
      "Strict-Transport-Security", List.of(),
      "X-Content-Type-Options", List.of("nosniff"),
      "X-Frame-Options", List.of("deny", "sameorigin"),
      "X-XSS-Protection", List.of(),
      "Content-Security-Policy", List.of());
  private static final Pattern BCRYPT =
      Pattern.compile("\\$2[abxy]?\\$(0[4-9]|[12][0-9]|3[01])\\$[./A-Za-z0-9]{53}");
  /** A web configuration is a few lines; a larger file is a mistake, not something to read. */
  static final int MAX_BYTES = 1 << 20;

  /** A web configuration that cannot be used: one line naming the file and the field. */
  static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    Invalid(String message) {
      super(Config.oneLine(message), null, false, false);
    }
  }

  /** Reads and checks {@code file}. */
  static WebConfig read(Path file) throws Invalid {
    byte[] bytes;
    try {
      if (Files.size(file) > MAX_BYTES) {
        throw new Invalid(file + ": larger than " + MAX_BYTES + " bytes");
      }
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new Invalid(file + ": cannot read: no such file");
    } catch (IOException | RuntimeException e) {
      throw new Invalid(file + ": cannot read: " + e.getMessage());
    }
    Path dir = file.toAbsolutePath().getParent();
    return parse(new String(bytes, StandardCharsets.UTF_8), file.toString(), dir);
  }

  /** Parses {@code yaml}; relative paths are taken from {@code dir}. */
  static WebConfig parse(String yaml, String source, Path dir) throws Invalid {
    Object root;
    try {
      LoadSettings settings = LoadSettings.builder().setLabel(source).setAllowDuplicateKeys(false)
          .setMaxAliasesForCollections(10).setCodePointLimit(MAX_BYTES).build();
      root = new Load(settings).loadFromString(yaml);
    } catch (RuntimeException | StackOverflowError e) {
      throw new Invalid(source + ": not valid YAML: " + e.getMessage());
    }
    if (root == null) {
      root = Map.of(); // an empty file: plain HTTP, no authentication, as the toolkit has it
    }
    Map<String, Object> top = map(root, source, "");
    known(top, source, "", "tls_server_config", "http_server_config", "basic_auth_users",
        "rate_limit");
    Tls tls = null;
    if (top.get("tls_server_config") != null) {
      tls = tls(map(top.get("tls_server_config"), source, "tls_server_config"), source, dir);
    }
    boolean http2 = true;
    Map<String, String> headers = new LinkedHashMap<>();
    if (top.get("http_server_config") != null) {
      String where = "http_server_config";
      Map<String, Object> h = map(top.get("http_server_config"), source, where);
      known(h, source, where, "http2", "headers");
      if (h.get("http2") != null) {
        if (!(h.get("http2") instanceof Boolean b)) {
          throw new Invalid(source + ": " + where + ".http2: true or false");
        }
        http2 = b;
      }
      if (h.get("headers") != null) {
        for (Map.Entry<String, Object> e : map(h.get("headers"), source, where + ".headers")
            .entrySet()) {
          String value = scalar(e.getValue(), source, where + ".headers." + e.getKey());
          List<String> allowed = HEADERS.get(e.getKey());
          if (allowed == null) {
            throw new Invalid(source + ": " + where + ".headers: HTTP header '" + e.getKey()
                + "' can not be configured (allowed: " + String.join(", ",
                new TreeSet<>(HEADERS.keySet())) + ")");
          }
          if (!allowed.isEmpty() && !allowed.contains(value)) {
            throw new Invalid(source + ": " + where + ".headers: invalid value for "
                + e.getKey() + ": '" + value + "' (one of: " + String.join(", ", allowed) + ")");
          }
          if (!value.isEmpty()) {
            headers.put(e.getKey(), value);
          }
        }
      }
    }
    Map<String, String> users = new LinkedHashMap<>();
    if (top.get("basic_auth_users") != null) {
      for (Map.Entry<String, Object> e : map(top.get("basic_auth_users"), source,
          "basic_auth_users").entrySet()) {
        String hash = scalar(e.getValue(), source, "basic_auth_users." + e.getKey());
        if (!BCRYPT.matcher(hash).matches()) {
          throw new Invalid(source + ": basic_auth_users." + e.getKey()
              + ": not a bcrypt hash ($2y$10$ and 53 characters; htpasswd -nBC 10 \"\")");
        }
        users.put(e.getKey(), hash);
      }
    }
    Duration rate = null;
    int burst = 0;
    if (top.get("rate_limit") != null) {
      Map<String, Object> r = map(top.get("rate_limit"), source, "rate_limit");
      known(r, source, "rate_limit", "interval", "burst");
      try {
        rate = r.get("interval") == null ? Duration.ZERO
            : GoDuration.parse(scalar(r.get("interval"), source, "rate_limit.interval"));
      } catch (IllegalArgumentException e) {
        throw new Invalid(source + ": rate_limit.interval: " + e.getMessage());
      }
      Object b = r.get("burst");
      if (b != null && !(b instanceof Integer)) {
        throw new Invalid(source + ": rate_limit.burst: a whole number");
      }
      burst = b == null ? 0 : (Integer) b;
      if (burst < 0) {
        throw new Invalid(source + ": rate_limit.burst: not negative");
      }
      if (rate.isZero()) {
        rate = null; // 0 turns the limiter off
      }
    }
    return new WebConfig(source, tls, http2, Map.copyOf(headers), Map.copyOf(users), rate,
        burst);
  }

  private static Tls tls(Map<String, Object> t, String source, Path dir) throws Invalid {
    String w = "tls_server_config";
    known(t, source, w, "cert", "key", "client_ca", "cert_file", "key_file", "client_auth_type",
        "client_ca_file", "client_allowed_sans", "min_version", "max_version", "cipher_suites",
        "prefer_server_cipher_suites", "curve_preferences");
    Path certFile = path(t, "cert_file", source, dir);
    Path keyFile = path(t, "key_file", source, dir);
    Path caFile = path(t, "client_ca_file", source, dir);
    String cert = optional(t, "cert", source);
    String key = optional(t, "key", source);
    String ca = optional(t, "client_ca", source);
    if (certFile == null && cert == null) {
      throw new Invalid(source + ": " + w + ": missing one of cert or cert_file");
    }
    if (keyFile == null && key == null) {
      throw new Invalid(source + ": " + w + ": missing one of key or key_file");
    }
    if (certFile != null && cert != null || keyFile != null && key != null
        || caFile != null && ca != null) {
      throw new Invalid(source + ": " + w + ": give a certificate, key or client CA either inline"
          + " or as a file, not both");
    }
    String auth = optional(t, "client_auth_type", source);
    if (auth == null || auth.isEmpty()) {
      auth = "NoClientCert";
    }
    if (!CLIENT_AUTH.contains(auth)) {
      throw new Invalid(source + ": " + w + ".client_auth_type: invalid ClientAuth '" + auth
          + "' (one of NoClientCert, RequestClientCert, RequireAnyClientCert,"
          + " VerifyClientCertIfGiven, RequireAndVerifyClientCert)");
    }
    if ((caFile != null || ca != null) && auth.equals("NoClientCert")) {
      throw new Invalid(source + ": " + w + ": client CA's have been configured without a Client"
          + " Auth Policy (client_auth_type)");
    }
    String min = version(t, "min_version", "TLS12", source);
    String max = version(t, "max_version", "TLS13", source);
    if (VERSIONS.indexOf(min) > VERSIONS.indexOf(max)) {
      throw new Invalid(source + ": " + w + ": min_version " + min + " is above max_version "
          + max);
    }
    if (t.get("prefer_server_cipher_suites") != null
        && !(t.get("prefer_server_cipher_suites") instanceof Boolean)) {
      throw new Invalid(source + ": " + w + ".prefer_server_cipher_suites: true or false");
    }
    return new Tls(certFile, cert, keyFile, key, auth, caFile, ca,
        list(t, "client_allowed_sans", source), min, max, list(t, "cipher_suites", source),
        list(t, "curve_preferences", source));
  }

  private static String version(Map<String, Object> t, String field, String dflt, String source)
      throws Invalid {
    String v = optional(t, field, source);
    if (v == null) {
      return dflt;
    }
    if (!VERSIONS.contains(v)) {
      throw new Invalid(source + ": tls_server_config." + field + ": unknown TLS version: '" + v
          + "' (TLS10, TLS11, TLS12, TLS13)");
    }
    return v;
  }

  private static Path path(Map<String, Object> t, String field, String source, Path dir)
      throws Invalid {
    String v = optional(t, field, source);
    if (v == null || v.isEmpty()) {
      return null;
    }
    Path p = Path.of(v);
    return p.isAbsolute() || dir == null ? p : dir.resolve(p);
  }

  private static String optional(Map<String, Object> t, String field, String source)
      throws Invalid {
    Object v = t.get(field);
    return v == null ? null : scalar(v, source, "tls_server_config." + field);
  }

  private static List<String> list(Map<String, Object> t, String field, String source)
      throws Invalid {
    Object v = t.get(field);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof List<?> l)) {
      throw new Invalid(source + ": tls_server_config." + field + ": a list");
    }
    List<String> out = new ArrayList<>();
    for (Object o : l) {
      out.add(scalar(o, source, "tls_server_config." + field));
    }
    return List.copyOf(out);
  }

  private static String scalar(Object v, String source, String where) throws Invalid {
    if (v instanceof String || v instanceof Number || v instanceof Boolean) {
      return v.toString();
    }
    throw new Invalid(source + ": " + where + ": a string");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object v, String source, String where) throws Invalid {
    if (!(v instanceof Map<?, ?> m)) {
      throw new Invalid(source + ": " + (where.isEmpty() ? "the file" : where)
          + ": a mapping of fields");
    }
    for (Object k : m.keySet()) {
      if (!(k instanceof String)) {
        throw new Invalid(source + ": " + (where.isEmpty() ? "" : where + ": ") + "a field name '"
            + k + "' that is not a string");
      }
    }
    return (Map<String, Object>) m;
  }

  private static void known(Map<String, Object> m, String source, String where, String... names)
      throws Invalid {
    List<String> known = List.of(names);
    for (String k : m.keySet()) {
      if (!known.contains(k)) {
        throw new Invalid(source + ": " + (where.isEmpty() ? "" : where + ": ")
            + "unknown field '" + k + "' (known: " + String.join(", ", new TreeSet<>(known))
            + ")");
      }
    }
  }
}
