package dev.tcpdial.exporter;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXCertPathBuilderResult;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The TLS stage: a client handshake over a {@link Wire} with a module's {@code tls_config}, as
 * Go's {@code crypto/tls} client does it for blackbox_exporter (the same checks in the same
 * order: the leaf's validity, then the name, then the chain), and the reason when it fails.
 *
 * <p>Failures are named from what was observed, never from an exception's message: this stage's
 * own certificate checks (a verdict recorded before the handshake is aborted), the TLS alert
 * read off the wire in the clear ({@link RecordSniffer}), bytes that are not TLS, and the
 * transport's {@link Wire.Kind}.
 */
final class TlsStage {
  private TlsStage() {}

  /** Outcome label values of {@code probe_tls_outcome}. */
  static final String ESTABLISHED = "established";
  /** The module does no TLS. */
  static final String NOT_CONFIGURED = "not_configured";
  /** An earlier stage failed. */
  static final String NOT_REACHED = "not_reached";
  static final String CERTIFICATE_EXPIRED = "certificate_expired";
  static final String CERTIFICATE_NOT_YET_VALID = "certificate_not_yet_valid";
  static final String UNKNOWN_AUTHORITY = "unknown_authority";
  static final String HOSTNAME_MISMATCH = "hostname_mismatch";
  static final String CERTIFICATE_INVALID = "certificate_invalid";
  static final String PROTOCOL_VERSION = "protocol_version";
  static final String HANDSHAKE_ALERT = "handshake_alert";
  static final String HANDSHAKE_FAILED = "handshake_failed";
  static final String NOT_TLS = "not_tls";
  static final String RESET = "reset";
  static final String CLOSED = "closed";
  static final String TIMEOUT = "timeout";
  static final String CANCELLED = "cancelled";
  static final String CONFIG_ERROR = "config_error";
  static final String ERROR = "error";

  /**
   * How the stage ended.
   *
   * @param outcome one of the outcome constants
   * @param alert the TLS alert's name for {@code handshake_alert}/{@code handshake_failed} (the
   *     one received, or the one sent), {@code encrypted} when one came that could not be read,
   *     else empty
   * @param version the negotiated version as blackbox labels it ({@code TLS 1.3}), or null
   * @param peer the certificates the server sent, leaf first (empty when none)
   * @param verified the chain verified up to a trust anchor, leaf first (empty when not
   *     verified: {@code insecure_skip_verify}, or a failure)
   * @param detail one line for people (the debug page, the CLI), never for matching
   */
  record Result(String outcome, String alert, String version, List<X509Certificate> peer,
      List<X509Certificate> verified, String detail) {
    Result {
      peer = List.copyOf(peer);
      verified = List.copyOf(verified);
    }

    static Result of(String outcome, String detail) {
      return new Result(outcome, "", null, List.of(), List.of(), detail);
    }

    boolean ok() {
      return outcome.equals(ESTABLISHED);
    }
  }

  /**
   * The key material and trust of one {@code tls_config}, read from its files, and the TLS
   * client made from them. It is kept while the files are the same versions ({@link #current}):
   * blackbox_exporter reads the files for every connection, so a certificate renewed on disk is
   * used by the next probe, and so it is here.
   *
   * @param anchors the trust anchors ({@code ca}/{@code ca_file}, else the JDK's trust store)
   * @param keys the client certificate's key managers, or null for none
   * @param config the {@code tls_config} they were read from
   * @param files the version of each file read ({@code ca_file}, {@code cert_file}, {@code
   *     key_file}), in that order; a null element when one could not be looked at
   * @param context the TLS client: one per material, not per probe, as its making (a
   *     {@code SecureRandom} seeded, the key managers set up) costs more than a probe's own work
   * @param trust the context's trust manager, which hands each engine's certificates to the
   *     {@link Verifier} of the probe that made the engine
   * @param paths the paths built for the chains servers sent, against {@code anchors}
   */
  record Material(Set<TrustAnchor> anchors, KeyManager[] keys, TlsConfig config,
      List<Pem.Stamp> files, SSLContext context, PerEngine trust,
      java.util.Map<List<X509Certificate>, Built> paths) {
    /** Whether every file read is still the version read, so this material may be used again. */
    boolean current() {
      for (Pem.Stamp f : files) {
        if (f == null || !f.current()) {
          return false;
        }
      }
      return true;
    }
  }

  /** More distinct {@code tls_config}s than this (reload after reload) empty the cache. */
  private static final int MAX_CACHED = 256;

  private static final java.util.concurrent.ConcurrentHashMap<TlsConfig, Material> CACHE =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The material of {@code c}: the one read before while its files are unchanged
   * ({@link Material#current}), else read now. Two probes that find it stale at once may both
   * read the files; either result is the files' content, and the last one stays.
   *
   * @throws IOException with one line naming the file when one cannot be used
   */
  static Material material(TlsConfig c) throws IOException {
    if (c.caRef() != null || c.certRef() != null || c.keyRef() != null) {
      throw new IOException("tls_config: *_ref needs a secret manager, which tcpdial does not have");
    }
    Material m = CACHE.get(c);
    if (m != null && m.current()) {
      return m;
    }
    Material fresh;
    try {
      fresh = read(c);
    } catch (IOException e) {
      if (m != null) {
        CACHE.remove(c, m);
      }
      throw e;
    }
    if (CACHE.size() >= MAX_CACHED) {
      CACHE.clear();
    }
    CACHE.put(c, fresh);
    return fresh;
  }

  /** Reads {@code c}'s files and makes its TLS client; each file's version is taken first. */
  private static Material read(TlsConfig c) throws IOException {
    List<Pem.Stamp> files = new ArrayList<>();
    for (Path f : new Path[] {c.caFile(), c.certFile(), c.keyFile()}) {
      if (f != null) {
        files.add(Pem.Stamp.of(f)); // before the read: a rewrite in between is seen next time
      }
    }
    Set<TrustAnchor> anchors;
    try {
      String ca = c.ca() != null ? c.ca() : c.caFile() != null ? Pem.read(c.caFile(), "ca_file")
          : null;
      if (ca == null) {
        anchors = systemAnchors();
      } else {
        anchors = new HashSet<>();
        for (X509Certificate x : Pem.certificates(ca, c.caFile() != null
            ? "ca_file " + c.caFile() : "ca")) {
          anchors.add(new TrustAnchor(x, null));
        }
      }
    } catch (GeneralSecurityException e) {
      throw new IOException(Config.oneLine(e.getMessage()));
    }
    KeyManager[] keys = null;
    if (c.clientCertificate()) {
      try {
        String certPem = c.cert() != null ? c.cert() : Pem.read(c.certFile(), "cert_file");
        String keyPem = c.key() != null ? c.key() : Pem.read(c.keyFile(), "key_file");
        List<X509Certificate> chain = Pem.certificates(certPem, where(c.certFile(), "cert"));
        PrivateKey key = Pem.privateKey(keyPem, where(c.keyFile(), "key"));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] pw = new char[0];
        ks.setKeyEntry("client", key, pw, chain.toArray(X509Certificate[]::new));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("NewSunX509");
        kmf.init(ks, pw);
        keys = kmf.getKeyManagers();
      } catch (GeneralSecurityException e) {
        throw new IOException(Config.oneLine(e.getMessage()));
      }
    }
    PerEngine trust = new PerEngine();
    SSLContext ctx;
    try {
      ctx = SSLContext.getInstance("TLS");
      ctx.init(keys, new TrustManager[] {trust}, null);
    } catch (GeneralSecurityException e) {
      throw new IOException("tls_config: " + Config.oneLine(e.toString()));
    }
    // Engines are made without a peer host and port, so the JDK never looks a session up to
    // resume (SSLSessionContextImpl.get(null, -1) is null) and every probe verifies the
    // certificates the server sends now, as blackbox_exporter's fresh connections do. The JDK
    // still files each finished session by its ID; one is enough (0 would mean no limit).
    ctx.getClientSessionContext().setSessionCacheSize(1);
    return new Material(anchors, keys, c, java.util.Collections.unmodifiableList(files), ctx,
        trust, new java.util.concurrent.ConcurrentHashMap<>());
  }

  /**
   * Loads and runs the JDK's TLS client once without the network (a ClientHello is made, the
   * trust store read, the path builder loaded): the first TLS probe after a start takes as long
   * as the others instead of a second or more of class loading and cold code.
   */
  static void warmUp() {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {new Verifier(Set.of(), "warm.up", true)}, null);
      SSLEngine e = ctx.createSSLEngine();
      e.setUseClientMode(true);
      e.beginHandshake();
      e.wrap(java.nio.ByteBuffer.allocate(0),
          java.nio.ByteBuffer.allocate(e.getSession().getPacketBufferSize()));
      systemAnchors();
      CertPathBuilder.getInstance("PKIX");
      java.security.MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException | SSLException | RuntimeException e) {
      // a probe reports what goes wrong; warming up is only an optimisation
    }
  }

  private static String where(Path file, String field) {
    return file == null ? field : field + "_file " + file;
  }

  private static volatile Set<TrustAnchor> system;

  /** The JDK's trust store (cacerts), read once. */
  static Set<TrustAnchor> systemAnchors() throws GeneralSecurityException {
    Set<TrustAnchor> s = system;
    if (s == null) {
      TrustManagerFactory f = TrustManagerFactory.getInstance(
          TrustManagerFactory.getDefaultAlgorithm());
      f.init((KeyStore) null);
      s = new HashSet<>();
      for (TrustManager t : f.getTrustManagers()) {
        if (t instanceof X509TrustManager x) {
          for (X509Certificate c : x.getAcceptedIssuers()) {
            s.add(new TrustAnchor(c, null));
          }
        }
      }
      system = s;
    }
    return s;
  }

  /** The JDK's protocol names from {@code min} to {@code max}; TLS 1.2 is Go's client minimum. */
  static String[] protocols(TlsConfig.Version min, TlsConfig.Version max) {
    TlsConfig.Version lo = min == null ? TlsConfig.Version.TLS12 : min;
    TlsConfig.Version hi = max == null ? TlsConfig.Version.TLS13 : max;
    List<String> out = new ArrayList<>();
    for (TlsConfig.Version v : TlsConfig.Version.values()) {
      if (v.compareTo(lo) >= 0 && v.compareTo(hi) <= 0) {
        out.add(v.jdkName());
      }
    }
    return out.toArray(String[]::new);
  }

  /**
   * Runs the handshake over {@code wire}.
   *
   * @param serverName the name to send (SNI) and to check: {@code server_name}, else the
   *     target's host, as blackbox_exporter does
   */
  static Result handshake(Wire wire, Material m, String serverName) {
    TlsConfig c = m.config();
    String name = c.serverName() != null ? c.serverName() : serverName;
    Verifier v = new Verifier(m.anchors(), name, c.insecureSkipVerify(), m.paths());
    SSLEngine e;
    try {
      // no peer host given: the JDK then never resumes a session (see read)
      e = m.context().createSSLEngine();
      m.trust().register(e, v);
      e.setUseClientMode(true);
      SSLParameters p = e.getSSLParameters();
      String[] wanted = protocols(c.minVersion(), c.maxVersion());
      List<String> usable = new ArrayList<>();
      Set<String> supported = Set.of(e.getSupportedProtocols());
      for (String w : wanted) {
        if (supported.contains(w)) {
          usable.add(w);
        }
      }
      if (usable.isEmpty()) {
        return Result.of(CONFIG_ERROR, "no TLS version between min_version and max_version"
            + " is enabled in this JDK (" + String.join(", ", wanted) + ")");
      }
      p.setProtocols(usable.toArray(String[]::new));
      p.setEndpointIdentificationAlgorithm(null); // the name is checked by Verifier, Go's way
      if (sniName(name)) {
        p.setServerNames(List.of(new SNIHostName(name)));
      } else {
        p.setServerNames(List.of());
      }
      e.setSSLParameters(p);
    } catch (IllegalArgumentException x) {
      return Result.of(CONFIG_ERROR, Config.oneLine(x.toString()));
    }
    try {
      wire.handshake(e);
    } catch (Wire.Failure f) {
      RecordSniffer in = wire.inbound();
      if (in != null && in.notTls()) {
        return Result.of(NOT_TLS, "the peer answered with bytes that are not TLS");
      }
      if (in != null && in.alertCode() >= 0) {
        return alertReceived(in.alertCode());
      }
      return Result.of(switch (f.kind) {
        case TIMEOUT -> TIMEOUT;
        case RESET -> RESET;
        case CLOSED -> CLOSED;
        case CANCELLED -> CANCELLED;
        case TLS, ERROR -> ERROR;
      }, "during the handshake: " + f.getMessage());
    } catch (SSLException x) {
      if (v.verdict != null) {
        return new Result(v.verdict, "", null, v.peer, List.of(), v.why);
      }
      RecordSniffer in = wire.inbound();
      if (in.alertCode() >= 0) {
        return alertReceived(in.alertCode());
      }
      if (in.notTls()) {
        return Result.of(NOT_TLS, "the peer answered with bytes that are not TLS");
      }
      if (in.encryptedAlert()) {
        return new Result(HANDSHAKE_ALERT, "encrypted", null, v.peer, List.of(),
            "the server sent an encrypted alert");
      }
      RecordSniffer out = wire.outbound();
      if (out.alertCode() == 70) {
        return new Result(PROTOCOL_VERSION, "", null, v.peer, List.of(),
            "the server chose a TLS version outside min_version..max_version");
      }
      if (out.alertCode() >= 0) {
        String a = RecordSniffer.alertName(out.alertCode());
        return new Result(HANDSHAKE_FAILED, a, null, v.peer, List.of(),
            "the handshake was aborted here with alert " + a);
      }
      return new Result(ERROR, "", null, v.peer, List.of(), Config.oneLine(x.toString()));
    }
    String version = switch (e.getSession().getProtocol()) {
      case "TLSv1" -> "TLS 1.0";
      case "TLSv1.1" -> "TLS 1.1";
      case "TLSv1.2" -> "TLS 1.2";
      case "TLSv1.3" -> "TLS 1.3";
      default -> "unknown";
    };
    return new Result(ESTABLISHED, "", version, v.peer, v.verified,
        version + ", " + e.getSession().getCipherSuite());
  }

  private static Result alertReceived(int code) {
    if (code == 70) {
      return new Result(PROTOCOL_VERSION, "", null, List.of(), List.of(),
          "the server refused every offered TLS version (alert protocol_version)");
    }
    String a = RecordSniffer.alertName(code);
    return new Result(HANDSHAKE_ALERT, a, null, List.of(), List.of(),
        "the server sent alert " + a);
  }

  /** Go sends SNI for a host name, not for an IP address. */
  static boolean sniName(String name) {
    if (name == null || name.isEmpty() || ipLiteral(name) != null) {
      return false;
    }
    try {
      new SNIHostName(name);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** The address {@code s} spells (dotted IPv4, IPv6 with or without brackets), or null. */
  static InetAddress ipLiteral(String s) {
    String h = s.length() > 2 && s.startsWith("[") && s.endsWith("]")
        ? s.substring(1, s.length() - 1) : s;
    if (h.isEmpty() || !(h.contains(":") || h.matches("\\d{1,3}(\\.\\d{1,3}){3}"))
        || !h.matches("[0-9A-Fa-f:.]+")) {
      return null;
    }
    try {
      return InetAddress.ofLiteral(h);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * Go's {@code x509.Certificate.VerifyHostname}: an IP address against the IP SANs; a name
   * against the DNS SANs only (no Common Name), case-insensitively, a trailing dot ignored, a
   * {@code *} only as a whole left-most label.
   */
  static boolean hostMatches(X509Certificate cert, String host) {
    List<String> dns = new ArrayList<>();
    List<InetAddress> ips = new ArrayList<>();
    try {
      if (cert.getSubjectAlternativeNames() != null) {
        for (List<?> san : cert.getSubjectAlternativeNames()) {
          int type = (Integer) san.get(0);
          if (type == 2) {
            dns.add((String) san.get(1));
          } else if (type == 7) {
            InetAddress a = ipLiteral((String) san.get(1));
            if (a != null) {
              ips.add(a);
            }
          }
        }
      }
    } catch (java.security.cert.CertificateParsingException e) {
      return false;
    }
    InetAddress ip = ipLiteral(host);
    if (ip != null) {
      return ips.contains(ip);
    }
    String candidate = lower(host);
    boolean validCandidate = validHostname(candidate, false);
    for (String pattern : dns) {
      if (validCandidate && validHostname(pattern, true)) {
        if (matchHostnames(pattern, candidate)) {
          return true;
        }
      } else if (matchExactly(pattern, candidate)) {
        return true;
      }
    }
    return false;
  }

  private static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }

  private static String trimDot(String s) {
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  private static boolean matchExactly(String pattern, String host) {
    if (host.isEmpty() || host.equals(".") || pattern.isEmpty() || pattern.equals(".")) {
      return false;
    }
    return lower(pattern).equals(lower(host));
  }

  private static boolean matchHostnames(String pattern, String host) {
    pattern = lower(pattern);
    host = lower(trimDot(host));
    if (pattern.isEmpty() || host.isEmpty()) {
      return false;
    }
    String[] p = pattern.split("\\.", -1);
    String[] h = host.split("\\.", -1);
    if (p.length != h.length) {
      return false;
    }
    for (int i = 0; i < p.length; i++) {
      if (i == 0 && p[i].equals("*")) {
        continue;
      }
      if (!p[i].equals(h[i])) {
        return false;
      }
    }
    return true;
  }

  // Go's validHostname: letters, digits, '-', '_', ':' (not for patterns); '*' only as a whole
  // first label of a pattern; no empty label but a trailing dot on input.
  private static boolean validHostname(String host, boolean isPattern) {
    if (!isPattern) {
      host = trimDot(host);
    }
    if (host.isEmpty()) {
      return false;
    }
    String[] parts = host.split("\\.", -1);
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      if (part.isEmpty()) {
        return false;
      }
      if (isPattern && i == 0 && part.equals("*")) {
        continue;
      }
      for (int j = 0; j < part.length(); j++) {
        char c = part.charAt(j);
        boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
            || (c == '-' && j != 0) || c == '_' || (!isPattern && c == ':');
        if (!ok) {
          return false;
        }
      }
    }
    return true;
  }

  /** A client's trust manager: it checks servers only, and suggests no issuer. */
  abstract static class ServerTrust extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws java.security.cert.CertificateException {
      throw new java.security.cert.CertificateException("a client does not check clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws java.security.cert.CertificateException {
      throw new java.security.cert.CertificateException("a client does not check clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws java.security.cert.CertificateException {
      throw new java.security.cert.CertificateException("a client does not check clients");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  /**
   * The trust manager of a {@link Material}'s context, shared by its probes: it passes the
   * certificates an engine receives to the {@link Verifier} its probe registered for it, and
   * refuses them when there is none. An engine stays registered while it lives (weakly held),
   * so a renegotiation later in the dialogue is verified by the same probe's Verifier, as it
   * was when each probe had a context of its own.
   */
  static final class PerEngine extends ServerTrust {
    private final java.util.Map<SSLEngine, Verifier> verifiers =
        java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    void register(SSLEngine e, Verifier v) {
      verifiers.put(e, v);
    }

    private Verifier of(SSLEngine e) throws java.security.cert.CertificateException {
      Verifier v = e == null ? null : verifiers.get(e);
      if (v == null) {
        throw new java.security.cert.CertificateException("no probe verifies this connection");
      }
      return v;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws java.security.cert.CertificateException {
      of(engine).checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws java.security.cert.CertificateException {
      throw new java.security.cert.CertificateException("a probe's TLS runs over an SSLEngine");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws java.security.cert.CertificateException {
      throw new java.security.cert.CertificateException("a probe's TLS runs over an SSLEngine");
    }
  }

  /** More distinct chains than this, kept for one material, empty its {@link Built} paths. */
  private static final int MAX_PATHS = 64;

  /** How long a built path is used at most before it is built again. */
  private static final long PATH_MILLIS = 600_000;

  /**
   * A path the JDK's PKIX builder built for a chain a server sent, kept to spare the next probes
   * that receive the same chain the builder's work (and the signature checks, the larger part of
   * it). The builder's answer depends on the chain, the anchors (fixed for one {@link Material})
   * and the time only through each certificate's validity, so the same chain gets the same path
   * until {@code until}: the first instant at which a certificate of the chain becomes valid or
   * expires (a path tried earlier could then be chosen, or this one fail), and at most {@link
   * #PATH_MILLIS} after it was built. Only a success is kept; a failure is built again each time.
   *
   * @param path the verified chain, leaf first, the trust anchor's certificate last
   * @param root the trust anchor's certificate (its validity is checked at every use), or null
   * @param from when it was built (epoch milliseconds); a clock set back builds again
   * @param until when it stops being used (epoch milliseconds)
   */
  record Built(List<X509Certificate> path, X509Certificate root, long from, long until) {
    Built {
      path = List.copyOf(path);
    }

    static Built of(List<X509Certificate> chain, List<X509Certificate> path,
        X509Certificate root, long now) {
      long until = now + PATH_MILLIS;
      for (X509Certificate c : chain) {
        for (long t : new long[] {c.getNotBefore().toInstant().toEpochMilli(),
            c.getNotAfter().toInstant().toEpochMilli() + 1}) {
          if (t > now && t < until) {
            until = t;
          }
        }
      }
      return new Built(path, root, now, until);
    }
  }

  /**
   * The trust decision, made the way Go's {@code crypto/x509} makes it and recorded before the
   * handshake is aborted, so the failure is named by what was found, not by the JDK's message.
   */
  static final class Verifier extends ServerTrust {
    private final Set<TrustAnchor> anchors;
    private final String name;
    private final boolean insecure;
    private final java.util.Map<List<X509Certificate>, Built> paths;
    volatile String verdict;
    volatile String why;
    volatile List<X509Certificate> peer = List.of();
    volatile List<X509Certificate> verified = List.of();

    Verifier(Set<TrustAnchor> anchors, String name, boolean insecure) {
      this(anchors, name, insecure, null);
    }

    /**
     * @param paths the paths built before for these {@code anchors} (see {@link Built}), shared
     *     by the probes of one {@link Material}, or null to build every time
     */
    Verifier(Set<TrustAnchor> anchors, String name, boolean insecure,
        java.util.Map<List<X509Certificate>, Built> paths) {
      this.anchors = anchors;
      this.name = name;
      this.insecure = insecure;
      this.paths = paths;
    }

    private void check(X509Certificate[] chain) throws java.security.cert.CertificateException {
      peer = List.of(chain);
      if (insecure) {
        return;
      }
      String[] found = verify(List.of(chain), anchors, name, new Date());
      if (found.length == 2) {
        verdict = found[0];
        why = found[1];
        throw new java.security.cert.CertificateException(found[1]);
      }
    }

    /**
     * The verdict on {@code chain} (leaf first) against {@code anchors} for {@code name} at
     * {@code now}: {outcome, why} on failure, else an empty array (and {@link #verified} set).
     */
    String[] verify(List<X509Certificate> chain, Set<TrustAnchor> anchors, String name,
        Date now) {
      X509Certificate leaf = chain.getFirst();
      String[] v = validity(leaf, now, "the server's certificate");
      if (v.length > 0) {
        return v;
      }
      if (name == null || name.isEmpty()) {
        return new String[] {HOSTNAME_MISMATCH, "no server name to check the certificate against"};
      }
      if (!hostMatches(leaf, name)) {
        return new String[] {HOSTNAME_MISMATCH, "the certificate is not valid for " + name};
      }
      try {
        List<String> eku = leaf.getExtendedKeyUsage();
        if (eku != null && !eku.contains("1.3.6.1.5.5.7.3.1") && !eku.contains("2.5.29.37.0")) {
          return new String[] {CERTIFICATE_INVALID,
              "the certificate is not for TLS servers (extended key usage)"};
        }
      } catch (java.security.cert.CertificateParsingException e) {
        return new String[] {CERTIFICATE_INVALID, "the certificate cannot be parsed"};
      }
      for (TrustAnchor a : anchors) {
        if (leaf.equals(a.getTrustedCert())) {
          verified = List.of(leaf);
          return new String[0];
        }
      }
      Built b = paths == null ? null : paths.get(chain);
      long at = now.toInstant().toEpochMilli();
      if (b == null || at < b.from() || at >= b.until()) {
        PKIXCertPathBuilderResult r;
        try {
          X509CertSelector target = new X509CertSelector();
          target.setCertificate(leaf);
          PKIXBuilderParameters p = new PKIXBuilderParameters(anchors, target);
          p.setRevocationEnabled(false);
          p.setDate(now);
          p.addCertStore(CertStore.getInstance("Collection",
              new CollectionCertStoreParameters(chain)));
          r = (PKIXCertPathBuilderResult) CertPathBuilder.getInstance("PKIX").build(p);
        } catch (GeneralSecurityException e) {
          for (X509Certificate x : chain.subList(1, chain.size())) {
            String[] iv = validity(x, now, "an intermediate certificate");
            if (iv.length > 0) {
              return iv;
            }
          }
          return new String[] {UNKNOWN_AUTHORITY,
              "the certificate is not signed by a trusted authority"};
        }
        X509Certificate root = r.getTrustAnchor().getTrustedCert();
        List<X509Certificate> path = new ArrayList<>();
        for (java.security.cert.Certificate x : r.getCertPath().getCertificates()) {
          path.add((X509Certificate) x);
        }
        if (root != null) {
          path.add(root);
        }
        b = Built.of(chain, path, root, at);
        if (paths != null) {
          if (paths.size() >= MAX_PATHS) {
            paths.clear();
          }
          paths.put(List.copyOf(chain), b);
        }
      }
      if (b.root() != null) {
        String[] rv = validity(b.root(), now, "the trusted root certificate");
        if (rv.length > 0) {
          return rv;
        }
      }
      verified = b.path();
      return new String[0];
    }

    private static String[] validity(X509Certificate c, Date now, String what) {
      try {
        c.checkValidity(now);
        return new String[0];
      } catch (CertificateExpiredException e) {
        return new String[] {CERTIFICATE_EXPIRED, what + " expired at "
            + c.getNotAfter().toInstant()};
      } catch (CertificateNotYetValidException e) {
        return new String[] {CERTIFICATE_NOT_YET_VALID, what + " is valid from "
            + c.getNotBefore().toInstant()};
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws java.security.cert.CertificateException {
      check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws java.security.cert.CertificateException {
      check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws java.security.cert.CertificateException {
      check(chain);
    }
  }
}
