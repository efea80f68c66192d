package dev.tcpdial.exporter;

import static dev.tcpdial.exporter.GoYaml.Scalar.ANY;
import static dev.tcpdial.exporter.GoYaml.Scalar.BOOL;
import static dev.tcpdial.exporter.GoYaml.Scalar.DURATION;
import static dev.tcpdial.exporter.GoYaml.Scalar.INT;
import static dev.tcpdial.exporter.GoYaml.Scalar.STRING;
import static dev.tcpdial.exporter.GoYaml.struct;
import static dev.tcpdial.exporter.GoYaml.text;

import dev.tcpdial.exporter.GoYaml.Failure;
import dev.tcpdial.exporter.GoYaml.MapOf;
import dev.tcpdial.exporter.GoYaml.Obj;
import dev.tcpdial.exporter.GoYaml.Seq;
import dev.tcpdial.exporter.GoYaml.Struct;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * blackbox_exporter's configuration schema (its {@code config/config.go} and Prometheus' common
 * {@code HTTPClientConfig}/{@code TLSConfig}, as of upstream main, which accepts every field of
 * the 0.23 Debian ships), with the checks their {@code UnmarshalYAML} methods make at load. Every
 * prober's section is here, served or not, so a file blackbox_exporter refuses is refused and one
 * it takes is taken; tcpdial's own additions ({@code tcpdial:} in a module, top-level {@code
 * targets:}) are marked as such.
 *
 * <p>What blackbox_exporter checks only when it probes (a CA file that does not exist, a source
 * address that is no address, {@code max_version} below {@code min_version}) is not a refusal
 * here either: {@link Config} keeps such a module and says why it is not served.
 */
final class BlackboxSchema {
  private BlackboxSchema() {}

  // ---- scalar forms with their own syntax ----

  /** Go's {@code regexp.Compile} through RE2/J: same syntax, same refusals. */
  static final Struct REGEXP = text("config.Regexp", (s, n, path) -> {
    try {
      return com.google.re2j.Pattern.compile(s);
    } catch (com.google.re2j.PatternSyntaxException e) {
      throw new Failure(n.line, path, "could not compile regular expression \""
          + Config.escape(s) + "\": " + Config.escape(e.getDescription()));
    }
  });

  /** {@code TLS10} ... {@code TLS13}, case as written. */
  static final Struct TLS_VERSION = text("config.TLSVersion", (s, n, path) -> {
    TlsConfig.Version v = TlsConfig.Version.of(s);
    if (v == null) {
      throw new Failure(n.line, path, "unknown TLS version: " + Config.escape(s)
          + " (TLS10, TLS11, TLS12 or TLS13)");
    }
    return v;
  });

  /** alecthomas/units' {@code Base2Bytes}: {@code 1MB}, {@code 1.5MiB}; a unit is required. */
  static final Struct BASE2_BYTES = text("units.Base2Bytes", (s, n, path) -> {
    try {
      return base2Bytes(s);
    } catch (IllegalArgumentException e) {
      throw new Failure(n.line, path, e.getMessage());
    }
  });

  /** Go's {@code url.Parse}: what it refuses is refused. */
  static final Struct URL = text("config.URL", (s, n, path) -> {
    String why = GoUrl.check(s);
    if (why != null) {
      throw new Failure(n.line, path, "parse \"" + Config.escape(s) + "\": " + why);
    }
    return s;
  });

  /** A CEL expression: kept as text (no CEL compiler here; see the documentation). */
  static final Struct CEL = text("config.CELProgram", (s, n, path) -> s);

  // ---- Prometheus' common config ----

  static final Struct TLS_CONFIG = struct("config.plain", BlackboxSchema::checkTls,
      "ca", STRING, "cert", STRING, "key", STRING,
      "ca_file", STRING, "cert_file", STRING, "key_file", STRING,
      "ca_ref", STRING, "cert_ref", STRING, "key_ref", STRING,
      "server_name", STRING, "insecure_skip_verify", BOOL,
      "min_version", TLS_VERSION, "max_version", TLS_VERSION);

  private static void checkTls(Obj o) throws Failure {
    if (count(o, "ca", "ca_file", "ca_ref") > 1) {
      throw o.fail("at most one of ca, ca_file & ca_ref must be configured");
    }
    if (count(o, "cert", "cert_file", "cert_ref") > 1) {
      throw o.fail("at most one of cert, cert_file & cert_ref must be configured");
    }
    if (count(o, "key", "key_file", "key_ref") > 1) {
      throw o.fail("at most one of key and key_file must be configured");
    }
    boolean cert = count(o, "cert", "cert_file", "cert_ref") > 0;
    boolean key = count(o, "key", "key_file", "key_ref") > 0;
    if (cert && !key) {
      throw o.fail("exactly one of key or key_file must be configured when a client certificate"
          + " is configured");
    }
    if (key && !cert) {
      throw o.fail("exactly one of cert or cert_file must be configured when a client key is"
          + " configured");
    }
  }

  /** Fields of {@code ProxyConfig}, inlined in the HTTP client and OAuth2 configurations. */
  private static final Object[] PROXY = {
      "proxy_url", URL, "no_proxy", STRING, "proxy_from_environment", BOOL,
      "proxy_connect_header", new MapOf(new Seq(STRING))};

  private static void checkProxy(Obj o) throws Failure {
    boolean url = !o.str("proxy_url").isEmpty();
    boolean env = o.bool("proxy_from_environment", false);
    if (!o.map("proxy_connect_header").isEmpty() && !env && !url) {
      throw o.fail("if proxy_connect_header is configured, proxy_url or proxy_from_environment"
          + " must also be configured");
    }
    if (env && url) {
      throw o.fail("if proxy_from_environment is configured, proxy_url must not be configured");
    }
    if (env && !o.str("no_proxy").isEmpty()) {
      throw o.fail("if proxy_from_environment is configured, no_proxy must not be configured");
    }
    if (!o.has("proxy_url") && !o.str("no_proxy").isEmpty()) {
      throw o.fail("if no_proxy is configured, proxy_url must also be configured");
    }
  }

  static final Struct BASIC_AUTH = struct("config.BasicAuth", null,
      "username", STRING, "username_file", STRING, "username_ref", STRING,
      "password", STRING, "password_file", STRING, "password_ref", STRING);

  static final Struct AUTHORIZATION = struct("config.Authorization", null,
      "type", STRING, "credentials", STRING, "credentials_file", STRING,
      "credentials_ref", STRING);

  static final Struct OAUTH2 = struct("config.plain", BlackboxSchema::checkProxy, concat(
      new Object[] {
          "client_id", STRING, "client_secret", STRING, "client_secret_file", STRING,
          "client_secret_ref", STRING, "client_certificate_key_id", STRING,
          "client_certificate_key", STRING, "client_certificate_key_file", STRING,
          "client_certificate_key_ref", STRING, "grant_type", STRING,
          "signature_algorithm", STRING, "iss", STRING, "audience", STRING,
          "claims", new MapOf(ANY), "scopes", new Seq(STRING), "token_url", STRING,
          "endpoint_params", new MapOf(STRING), "tls_config", TLS_CONFIG},
      PROXY));

  /** {@code config.Header}: values, secrets, files. */
  static final Struct HEADER = struct("config.Header", null,
      "values", new Seq(STRING), "secrets", new Seq(STRING), "files", new Seq(STRING));

  /** {@code http_headers}: a header name to its values, secrets and files. */
  static final MapOf HEADERS = new MapOf(HEADER);

  private static final Set<String> RESERVED_HEADERS = Set.of("Authorization", "Host",
      "Content-Encoding", "Content-Length", "Content-Type", "User-Agent", "Connection",
      "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Www-Authenticate",
      "Accept-Encoding", "X-Prometheus-Remote-Write-Version", "X-Prometheus-Remote-Read-Version",
      "X-Prometheus-Scrape-Timeout-Seconds", "X-Amz-Date", "X-Amz-Security-Token",
      "X-Amz-Content-Sha256");

  /** Fields of {@code HTTPClientConfig} (inlined in {@code http:}, whole in websocket's). */
  private static final Object[] HTTP_CLIENT = concat(new Object[] {
      "basic_auth", BASIC_AUTH, "authorization", AUTHORIZATION, "oauth2", OAUTH2,
      "bearer_token", STRING, "bearer_token_file", STRING, "tls_config", TLS_CONFIG,
      "follow_redirects", BOOL, "enable_http2", BOOL, "http_headers", HEADERS}, PROXY);

  /** {@code HTTPClientConfig.Validate}. */
  static void checkHttpClient(Obj o) throws Failure {
    boolean bearer = !o.str("bearer_token").isEmpty();
    boolean bearerFile = !o.str("bearer_token_file").isEmpty();
    Obj basic = o.obj("basic_auth");
    Obj oauth = o.obj("oauth2");
    Obj auth = o.obj("authorization");
    if (bearer && bearerFile) {
      throw o.fail("at most one of bearer_token & bearer_token_file must be configured");
    }
    if ((basic != null || oauth != null) && (bearer || bearerFile)) {
      throw o.fail("at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be"
          + " configured");
    }
    if (basic != null && count(basic, "username", "username_file", "username_ref") > 1) {
      throw o.fail("at most one of basic_auth username, username_file & username_ref must be"
          + " configured");
    }
    if (basic != null && count(basic, "password", "password_file", "password_ref") > 1) {
      throw o.fail("at most one of basic_auth password, password_file & password_ref must be"
          + " configured");
    }
    if (auth != null) {
      if (bearer || bearerFile) {
        throw o.fail("authorization is not compatible with bearer_token & bearer_token_file");
      }
      if (count(auth, "credentials", "credentials_file", "credentials_ref") > 1) {
        throw o.fail("at most one of authorization credentials & credentials_file must be"
            + " configured");
      }
      if (auth.str("type").strip().toLowerCase(Locale.ROOT).equals("basic")) {
        throw o.fail("authorization type cannot be set to \"basic\", use \"basic_auth\""
            + " instead");
      }
      if (basic != null || oauth != null) {
        throw o.fail("at most one of basic_auth, oauth2 & authorization must be configured");
      }
    }
    if (oauth != null) {
      if (basic != null) {
        throw o.fail("at most one of basic_auth, oauth2 & authorization must be configured");
      }
      if (oauth.str("client_id").isEmpty()) {
        throw o.fail("oauth2 client_id must be configured");
      }
      if (oauth.str("token_url").isEmpty()) {
        throw o.fail("oauth2 token_url must be configured");
      }
      if (oauth.str("grant_type").equals("urn:ietf:params:oauth:grant-type:jwt-bearer")) {
        if (count(oauth, "client_certificate_key", "client_certificate_key_file",
            "client_certificate_key_ref") > 1) {
          throw o.fail("at most one of oauth2 client_certificate_key,"
              + " client_certificate_key_file & client_certificate_key_ref must be configured"
              + " using grant-type=urn:ietf:params:oauth:grant-type:jwt-bearer");
        }
        String alg = oauth.str("signature_algorithm");
        if (!alg.isEmpty() && !List.of("RS256", "RS384", "RS512").contains(alg)) {
          throw o.fail("valid signature algorithms are RS256, RS384 and RS512");
        }
      } else if (count(oauth, "client_secret", "client_secret_file", "client_secret_ref") > 1) {
        throw o.fail("at most one of oauth2 client_secret, client_secret_file &"
            + " client_secret_ref must be configured using grant-type=client_credentials");
      }
    }
    checkProxy(o);
    for (String h : o.map("http_headers").keySet()) {
      if (RESERVED_HEADERS.contains(canonicalHeader(h))) {
        throw o.fail("http_headers", "setting header \"" + Config.escape(canonicalHeader(h))
            + "\" is not allowed");
      }
    }
  }

  static final Struct HTTP_CLIENT_CONFIG =
      struct("config.plain", BlackboxSchema::checkHttpClient, HTTP_CLIENT);

  // ---- blackbox_exporter's probers ----

  static final Struct HEADER_MATCH = struct("config.plain", o -> {
    if (o.str("header").isEmpty()) {
      throw o.fail("header name must be set for HTTP header matchers");
    }
    Object re = o.get("regexp");
    if (!(re instanceof com.google.re2j.Pattern p) || p.pattern().isEmpty()) {
      throw o.fail("regexp must be set for HTTP header matchers");
    }
  }, "header", STRING, "regexp", REGEXP, "allow_missing", BOOL);

  static final Struct HTTP = struct("config.plain", BlackboxSchema::checkHttp, concat(
      new Object[] {
          "valid_status_codes", new Seq(INT), "valid_http_versions", new Seq(STRING),
          "preferred_ip_protocol", STRING, "ip_protocol_fallback", BOOL,
          "skip_resolve_phase_with_proxy", BOOL, "no_follow_redirects", BOOL,
          "fail_if_ssl", BOOL, "fail_if_not_ssl", BOOL, "method", STRING,
          "headers", new MapOf(STRING),
          "fail_if_body_matches_regexp", new Seq(REGEXP),
          "fail_if_body_not_matches_regexp", new Seq(REGEXP),
          "fail_if_body_json_matches_cel", CEL, "fail_if_body_json_not_matches_cel", CEL,
          "fail_if_header_matches", new Seq(HEADER_MATCH),
          "fail_if_header_not_matches", new Seq(HEADER_MATCH),
          "body", STRING, "body_file", STRING, "compression", STRING,
          "body_size_limit", BASE2_BYTES, "enable_http3", BOOL},
      HTTP_CLIENT));

  private static void checkHttp(Obj o) throws Failure {
    checkHttpClient(o);
    if (!o.str("body").isEmpty() && !o.str("body_file").isEmpty()) {
      throw o.fail("setting body and body_file both are not allowed");
    }
    for (Map.Entry<String, Object> h : o.map("headers").entrySet()) {
      if (canonicalHeader(h.getKey()).equals("Accept-Encoding")
          && !compressionAccepted(o.str("compression"), GoYaml.str(h.getValue()))) {
        throw o.fail("headers", "invalid configuration \"" + Config.escape(h.getKey()) + ": "
            + Config.escape(GoYaml.str(h.getValue())) + "\", \"compression: "
            + Config.escape(o.str("compression")) + "\"");
      }
    }
    List<String> versions = o.list("valid_http_versions").stream().map(GoYaml::str).toList();
    boolean http3 = o.bool("enable_http3", false);
    if (!http3 && versions.contains("HTTP/3.0")) {
      throw o.fail("HTTP/3 cannot be used as a valid HTTP version when enable_http3 is false");
    }
    if (http3) {
      if (versions.contains("HTTP/2.0") || versions.contains("HTTP/1.1")) {
        throw o.fail("HTTP/3 and HTTP/2.0/1.1 cannot be used together - only HTTP/3.0 is allowed"
            + " when enable_http3 is true");
      }
      if (o.bool("enable_http2", true)) {
        throw o.fail("when enable_http3 is true, enable_http2 must be set to false");
      }
    }
  }

  static final Struct LABEL = struct("config.Label", null, "name", STRING, "value", STRING);

  static final Struct QUERY_RESPONSE = struct("config.plain", o -> {
    if (o.has("expect") && !o.str("expect_bytes").isEmpty()) {
      throw o.fail("expect and expect_bytes are mutually exclusive");
    }
  }, "expect", REGEXP, "expect_bytes", STRING, "labels", new Seq(LABEL), "send", STRING,
      "starttls", BOOL);

  static final Struct TCP = struct("config.plain", null,
      "preferred_ip_protocol", STRING, "ip_protocol_fallback", BOOL,
      "source_ip_address", STRING, "query_response", new Seq(QUERY_RESPONSE), "tls", BOOL,
      "tls_config", TLS_CONFIG);

  static final Struct ICMP = struct("config.plain", o -> {
    Object ttl = o.get("ttl");
    if (ttl instanceof Long t && t < 0) {
      throw o.fail("ttl", "\"ttl\" cannot be negative");
    }
    if (ttl instanceof Long t && t > 255) {
      throw o.fail("ttl", "\"ttl\" cannot exceed 255");
    }
  }, "preferred_ip_protocol", STRING, "ip_protocol_fallback", BOOL, "source_ip_address", STRING,
      "payload_size", INT, "dont_fragment", BOOL, "ttl", INT);

  static final Struct RR_VALIDATOR = struct("config.plain", null,
      "fail_if_matches_regexp", new Seq(STRING), "fail_if_all_match_regexp", new Seq(STRING),
      "fail_if_not_matches_regexp", new Seq(STRING),
      "fail_if_none_matches_regexp", new Seq(STRING));

  /** miekg/dns' class names (its {@code StringToClass}). */
  static final Set<String> DNS_CLASSES = Set.of("IN", "CS", "CH", "HS", "NONE", "ANY");

  /** miekg/dns' type names (its {@code StringToType}). */
  static final Set<String> DNS_TYPES = Set.of(("A AAAA AFSDB AMTRELAY ANY APL ATMA AVC AXFR CAA"
      + " CDNSKEY CDS CERT CNAME CSYNC DHCID DLV DNAME DNSKEY DS EID EUI48 EUI64 GID GPOS HINFO"
      + " HIP HTTPS IPSECKEY ISDN IXFR KEY KX L32 L64 LOC LP MAILA MAILB MB MD MF MG MINFO MR MX"
      + " NAPTR NID NIMLOC NINFO NS NSEC NSEC3 NSEC3PARAM NULL NXNAME NXT OPENPGPKEY OPT PTR PX"
      + " RESINFO RKEY RP RRSIG RT SIG SMIMEA SOA SPF SRV SSHFP SVCB TA TALINK TKEY TLSA TSIG TXT"
      + " UID UINFO UNSPEC URI X25 ZONEMD NSAP-PTR").split(" "));

  static final Struct DNS = struct("config.plain", o -> {
    if (o.str("query_name").isEmpty()) {
      throw o.fail("query name must be set for DNS module");
    }
    String c = o.str("query_class");
    if (!c.isEmpty() && !DNS_CLASSES.contains(c)) {
      throw o.fail("query_class", "query class '" + Config.escape(c) + "' is not valid");
    }
    String t = o.str("query_type");
    if (!t.isEmpty() && !DNS_TYPES.contains(t)) {
      throw o.fail("query_type", "query type '" + Config.escape(t) + "' is not valid");
    }
  }, "preferred_ip_protocol", STRING, "ip_protocol_fallback", BOOL, "dns_over_tls", BOOL,
      "tls_config", TLS_CONFIG, "source_ip_address", STRING, "transport_protocol", STRING,
      "query_class", STRING, "query_name", STRING, "query_type", STRING,
      "recursion_desired", BOOL, "valid_rcodes", new Seq(STRING),
      "validate_answer_rrs", RR_VALIDATOR, "validate_authority_rrs", RR_VALIDATOR,
      "validate_additional_rrs", RR_VALIDATOR);

  static final Struct GRPC = struct("config.plain", null,
      "service", STRING, "tls", BOOL, "tls_config", TLS_CONFIG, "ip_protocol_fallback", BOOL,
      "preferred_ip_protocol", STRING, "metadata", new MapOf(new Seq(STRING)));

  static final Struct UNIX = struct("config.plain", null,
      "query_response", new Seq(QUERY_RESPONSE), "tls", BOOL, "tls_config", TLS_CONFIG);

  static final Struct WEBSOCKET = struct("config.plain", null,
      "http_config", HTTP_CLIENT_CONFIG, "headers", HEADERS,
      "query_response", new Seq(QUERY_RESPONSE), "preferred_ip_protocol", STRING,
      "ip_protocol_fallback", BOOL);

  /** The probers blackbox_exporter knows; any other name is refused at load. */
  static final List<String> PROBERS =
      List.of("http", "tcp", "icmp", "dns", "grpc", "unix", "websocket");

  // ---- tcpdial's own ----

  /** {@code tcpdial:} in a module: what only tcpdial does. */
  static final Struct TCPDIAL = struct("tcpdial", null,
      "happy_eyeballs", BOOL, "attempt_delay", DURATION, "syn_retries", INT, "retries", INT,
      "family", STRING, "expect", STRING, "icmp_from_label", BOOL, "trace_on_failure", BOOL);

  static final Struct MODULE = struct("config.plain", o -> {
    if (!PROBERS.contains(o.str("prober"))) {
      throw o.fail("prober", "prober '" + Config.escape(o.str("prober")) + "' is not valid"
          + " (one of " + String.join(", ", PROBERS) + ")");
    }
  }, "prober", STRING, "timeout", DURATION, "http", HTTP, "tcp", TCP, "icmp", ICMP, "dns", DNS,
      "grpc", GRPC, "unix", UNIX, "websocket", WEBSOCKET, "tcpdial", TCPDIAL);

  /** A continuous target (tcpdial's): labels are strings, never lists or mappings. */
  static final Struct TARGET = struct("target", null,
      "target", STRING, "module", STRING, "interval", DURATION, "labels", new MapOf(STRING));

  /** The file: blackbox_exporter's {@code modules}, and tcpdial's {@code targets}. */
  static final Struct FILE = struct("config.plain", null,
      "modules", new MapOf(MODULE), "targets", new Seq(TARGET));

  // ---- helpers ----

  private static Object[] concat(Object[] a, Object[] b) {
    Object[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  private static int count(Obj o, String... fields) {
    int n = 0;
    for (String f : fields) {
      n += o.str(f).isEmpty() ? 0 : 1;
    }
    return n;
  }

  /** Go's {@code textproto.CanonicalMIMEHeaderKey}. */
  static String canonicalHeader(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean token = c < 0x80 && (Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c)
          >= 0);
      if (!token) {
        return s; // Go leaves keys with invalid characters as they are
      }
    }
    StringBuilder b = new StringBuilder(s.length());
    boolean upper = true;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      b.append(upper ? Character.toUpperCase(c) : Character.toLowerCase(c));
      upper = c == '-';
    }
    return b.toString();
  }

  /**
   * blackbox_exporter's {@code isCompressionAcceptEncodingValid}: with a {@code compression},
   * an Accept-Encoding header must accept it with a quality above 0.
   */
  static boolean compressionAccepted(String encoding, String acceptEncoding) {
    if (encoding.isEmpty() || acceptEncoding.isEmpty()) {
      return true;
    }
    record Quality(String encoding, float q) {}
    List<Quality> all = new ArrayList<>();
    for (String part : acceptEncoding.split(",", -1)) {
      int semi = part.lastIndexOf(';');
      if (semi < 0) {
        all.add(new Quality(part.strip(), 1f));
      } else {
        String q = part.substring(semi + 1).strip();
        if (q.startsWith("q=")) {
          q = q.substring(2);
        }
        float quality;
        try {
          quality = (float) (Math.round(goFloat(q) * 1000) / 1000.0);
        } catch (NumberFormatException e) {
          quality = 0;
        }
        all.add(new Quality(part.substring(0, semi).strip(), quality));
      }
    }
    List<Quality> sorted = new ArrayList<>(all);
    sorted.sort((a, b) -> Float.compare(b.q, a.q)); // stable, highest first
    for (Quality e : sorted) {
      if (encoding.equals(e.encoding) || e.encoding.equals("*")) {
        return e.q > 0;
      }
    }
    return false;
  }

  /** Go's {@code strconv.ParseFloat} for the forms a quality value takes. */
  private static double goFloat(String s) {
    if (!s.matches("[-+]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][-+]?\\d+)?|[-+]?(?i:inf|infinity|nan)")) {
      throw new NumberFormatException(s);
    }
    String l = s.toLowerCase(Locale.ROOT);
    if (l.endsWith("nan")) {
      return Double.NaN;
    }
    if (l.endsWith("inf") || l.endsWith("infinity")) {
      return l.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    return Double.parseDouble(s);
  }

  /** alecthomas/units' {@code ParseBase2Bytes}: KB and KiB are both 1024; kB is refused. */
  static long base2Bytes(String orig) {
    try {
      return parseUnit(orig, "iB");
    } catch (IllegalArgumentException e) {
      return parseUnit(orig, "B");
    }
  }

  private static long parseUnit(String orig, String suffix) {
    String s = orig;
    boolean neg = false;
    if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
      neg = s.charAt(0) == '-';
      s = s.substring(1);
    }
    if (s.equals("0")) {
      return 0;
    }
    if (s.isEmpty()) {
      throw new IllegalArgumentException("units: invalid " + orig);
    }
    double f = 0;
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (!(c == '.' || c >= '0' && c <= '9')) {
        throw new IllegalArgumentException("units: invalid " + orig);
      }
      int start = i;
      long x = 0;
      while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        if (x >= (Long.MAX_VALUE - 10) / 10) {
          throw new IllegalArgumentException("units: invalid " + orig);
        }
        x = x * 10 + (s.charAt(i++) - '0');
      }
      double g = x;
      boolean pre = i != start;
      boolean post = false;
      if (i < s.length() && s.charAt(i) == '.') {
        i++;
        int fs = i;
        long y = 0;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
          if (y >= (Long.MAX_VALUE - 10) / 10) {
            throw new IllegalArgumentException("units: invalid " + orig);
          }
          y = y * 10 + (s.charAt(i++) - '0');
        }
        g += y / Math.pow(10, i - fs);
        post = i != fs;
      }
      if (!pre && !post) {
        throw new IllegalArgumentException("units: invalid " + orig);
      }
      int us = i;
      while (i < s.length() && s.charAt(i) != '.' && !(s.charAt(i) >= '0' && s.charAt(i) <= '9')) {
        i++;
      }
      String u = s.substring(us, i);
      double unit = switch (u.equals("B") ? "" : u.endsWith(suffix) && u.length()
          == suffix.length() + 1 ? u.substring(0, 1) : "?") {
        case "" -> 1;
        case "K" -> 0x1p10;
        case "M" -> 0x1p20;
        case "G" -> 0x1p30;
        case "T" -> 0x1p40;
        case "P" -> 0x1p50;
        case "E" -> 0x1p60;
        default -> throw new IllegalArgumentException("units: unknown unit "
            + Config.escape(u) + " in " + Config.escape(orig));
      };
      f += g * unit;
    }
    if (neg) {
      f = -f;
    }
    if (f < -0x1p63 || f > 0x1p63 - 1) {
      throw new IllegalArgumentException("units: overflow parsing unit");
    }
    return (long) f;
  }
}
