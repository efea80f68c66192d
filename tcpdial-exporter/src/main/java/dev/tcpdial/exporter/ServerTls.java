package dev.tcpdial.exporter;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The server side of TLS for {@code tls_server_config}, on the JDK's provider: the certificate
 * chain and key from PEM (PKCS#8, PKCS#1 RSA or SEC1 EC keys, as Go's {@code tls.X509KeyPair}
 * reads them), Go's client authentication policies mapped onto the JDK's want/need and trust
 * managers, versions, cipher suites and curves. Built once per change of the files; an engine per
 * connection.
 */
final class ServerTls {
  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
  /** Go's names to the JDK's, where they differ (Go's older ChaCha names lack the hash). */
  private static final Map<String, String> CIPHER_ALIASES = Map.of(
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
  private static final Map<String, String> CURVES = Map.of(
      "CurveP256", "secp256r1", "CurveP384", "secp384r1", "CurveP521", "secp521r1",
      "X25519", "x25519", "X25519MLKEM768", "X25519MLKEM768");
  private static final Map<String, String> PROTOCOLS = Map.of(
      "TLS10", "TLSv1", "TLS11", "TLSv1.1", "TLS12", "TLSv1.2", "TLS13", "TLSv1.3");

  private final SSLContext context;
  private final String[] protocols;
  private final String[] ciphers;
  private final String[] groups;
  private final boolean need;
  private final boolean want;

  private ServerTls(SSLContext context, String[] protocols, String[] ciphers, String[] groups,
      boolean need, boolean want) {
    this.context = context;
    this.protocols = protocols;
    this.ciphers = ciphers;
    this.groups = groups;
    this.need = need;
    this.want = want;
  }

  /** An engine for one accepted connection. */
  SSLEngine engine() {
    SSLEngine e = context.createSSLEngine();
    e.setUseClientMode(false);
    SSLParameters p = e.getSSLParameters();
    p.setProtocols(protocols);
    if (ciphers != null) {
      p.setCipherSuites(ciphers);
    }
    if (groups != null) {
      p.setNamedGroups(groups);
    }
    p.setUseCipherSuitesOrder(true);
    if (need) {
      p.setNeedClientAuth(true);
    } else if (want) {
      p.setWantClientAuth(true);
    }
    e.setSSLParameters(p);
    return e;
  }

  /**
   * Loads what {@code t} names and checks it: a key that matches the certificate, known cipher
   * suites and curves, a client CA that parses.
   */
  static ServerTls of(WebConfig.Tls t, String source) throws WebConfig.Invalid {
    String w = source + ": tls_server_config";
    List<X509Certificate> chain = certificates(t.certFile() == null ? t.cert()
        : read(t.certFile(), w + ".cert_file"), w + (t.certFile() == null ? ".cert" : ".cert_file"));
    if (chain.isEmpty()) {
      throw new WebConfig.Invalid(w + ": failed to load X509KeyPair: no certificate in "
          + (t.certFile() == null ? "cert" : t.certFile()));
    }
    PrivateKey key = key(t.keyFile() == null ? t.key() : read(t.keyFile(), w + ".key_file"),
        w + (t.keyFile() == null ? ".key" : ".key_file"));
    if (!matches(key, chain.getFirst())) {
      throw new WebConfig.Invalid(w + ": failed to load X509KeyPair: private key does not match"
          + " public key");
    }
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      char[] none = new char[0];
      ks.setKeyEntry("server", key, none, chain.toArray(X509Certificate[]::new));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, none);
      boolean verify = t.clientAuth().equals("VerifyClientCertIfGiven")
          || t.clientAuth().equals("RequireAndVerifyClientCert");
      X509TrustManager trust;
      if (verify) {
        List<X509Certificate> cas = t.clientCaFile() == null && t.clientCa() == null ? null
            : certificates(t.clientCaFile() == null ? t.clientCa()
                : read(t.clientCaFile(), w + ".client_ca_file"), w + ".client_ca_file");
        trust = pkix(cas);
      } else {
        trust = ANY;
      }
      if (!t.allowedSans().isEmpty()) {
        trust = new SanCheck(trust, Set.copyOf(t.allowedSans()));
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), new TrustManager[] {trust}, null);
      SSLParameters supported = ctx.getSupportedSSLParameters();
      List<String> protocols = new ArrayList<>();
      for (String v : WebConfig.VERSIONS.subList(WebConfig.VERSIONS.indexOf(t.minVersion()),
          WebConfig.VERSIONS.indexOf(t.maxVersion()) + 1)) {
        protocols.add(PROTOCOLS.get(v));
      }
      String[] ciphers = null;
      if (!t.cipherSuites().isEmpty()) {
        // as in Go, the list is for TLS 1.2 and below; TLS 1.3's suites stay on
        Set<String> chosen = new LinkedHashSet<>();
        List<String> known = Arrays.asList(supported.getCipherSuites());
        for (String c : t.cipherSuites()) {
          String j = CIPHER_ALIASES.getOrDefault(c, c);
          if (!known.contains(j) || j.startsWith("TLS_AES_") || j.startsWith("TLS_CHACHA20_")) {
            throw new WebConfig.Invalid(w + ".cipher_suites: unknown cipher: '" + c + "'");
          }
          chosen.add(j);
        }
        for (String c : ctx.getDefaultSSLParameters().getCipherSuites()) {
          if (c.startsWith("TLS_AES_") || c.startsWith("TLS_CHACHA20_")) {
            chosen.add(c);
          }
        }
        ciphers = chosen.toArray(String[]::new);
      }
      String[] groups = null;
      if (!t.curves().isEmpty()) {
        List<String> g = new ArrayList<>();
        for (String c : t.curves()) {
          String j = CURVES.get(c);
          if (j == null) {
            throw new WebConfig.Invalid(w + ".curve_preferences: unknown curve: '" + c
                + "' (CurveP256, CurveP384, CurveP521, X25519, X25519MLKEM768)");
          }
          g.add(j);
        }
        groups = g.toArray(String[]::new);
      }
      boolean need = t.clientAuth().equals("RequireAnyClientCert")
          || t.clientAuth().equals("RequireClientCert")
          || t.clientAuth().equals("RequireAndVerifyClientCert");
      boolean want = !t.clientAuth().equals("NoClientCert");
      return new ServerTls(ctx, protocols.toArray(String[]::new), ciphers, groups, need, want);
    } catch (GeneralSecurityException | IOException e) {
      throw new WebConfig.Invalid(w + ": " + e.getMessage());
    }
  }

  private static String read(Path p, String where) throws WebConfig.Invalid {
    try {
      if (Files.size(p) > WebConfig.MAX_BYTES) {
        throw new WebConfig.Invalid(where + ": " + p + ": larger than " + WebConfig.MAX_BYTES
            + " bytes");
      }
      return Files.readString(p, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new WebConfig.Invalid(where + ": cannot read " + p + ": "
          + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
    }
  }

  static List<X509Certificate> certificates(String pem, String where) throws WebConfig.Invalid {
    List<X509Certificate> out = new ArrayList<>();
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      Matcher m = PEM.matcher(pem);
      while (m.find()) {
        if (m.group(1).equals("CERTIFICATE")) {
          out.add((X509Certificate) cf.generateCertificate(
              new ByteArrayInputStream(der(m.group(2)))));
        }
      }
    } catch (CertificateException | IllegalArgumentException e) {
      throw new WebConfig.Invalid(where + ": not a PEM certificate: " + e.getMessage());
    }
    return out;
  }

  static PrivateKey key(String pem, String where) throws WebConfig.Invalid {
    Matcher m = PEM.matcher(pem);
    while (m.find()) {
      String type = m.group(1);
      try {
        byte[] der = der(m.group(2));
        switch (type) {
          case "PRIVATE KEY" -> {
            for (String alg : List.of("RSA", "EC", "Ed25519", "RSASSA-PSS")) {
              try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
              } catch (GeneralSecurityException e) {
                // the next algorithm
              }
            }
            throw new WebConfig.Invalid(where + ": a PKCS#8 key of no known algorithm");
          }
          case "RSA PRIVATE KEY" -> {
            // PKCS#1 inside PKCS#8: rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters
            byte[] alg = tlv(0x30, concat(tlv(0x06, new byte[] {0x2a, (byte) 0x86, 0x48,
                (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01}), new byte[] {0x05, 0x00}));
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(
                tlv(0x30, concat(new byte[] {0x02, 0x01, 0x00}, alg, tlv(0x04, der)))));
          }
          case "EC PRIVATE KEY" -> {
            // SEC1 inside PKCS#8: id-ecPublicKey (1.2.840.10045.2.1) with the curve of its [0]
            byte[] curve = curveOid(der);
            if (curve == null) {
              throw new WebConfig.Invalid(where + ": an EC key without its curve");
            }
            byte[] alg = tlv(0x30, concat(tlv(0x06, new byte[] {0x2a, (byte) 0x86, 0x48,
                (byte) 0xce, 0x3d, 0x02, 0x01}), curve));
            return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(
                tlv(0x30, concat(new byte[] {0x02, 0x01, 0x00}, alg, tlv(0x04, der)))));
          }
          case "ENCRYPTED PRIVATE KEY" ->
              throw new WebConfig.Invalid(where + ": an encrypted key (give it unencrypted, as"
                  + " Go's tls.X509KeyPair wants it)");
          default -> {
            // a certificate or parameters before the key: go on
          }
        }
      } catch (GeneralSecurityException | IllegalArgumentException e) {
        throw new WebConfig.Invalid(where + ": not a usable private key: " + e.getMessage());
      }
    }
    throw new WebConfig.Invalid(where + ": no PEM private key found");
  }

  /** Whether {@code key} signs what the certificate's public key verifies. */
  private static boolean matches(PrivateKey key, X509Certificate cert) {
    String alg = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      case "RSASSA-PSS" -> "RSASSA-PSS";
      default -> null;
    };
    if (alg == null) {
      return true; // nothing to check it with: the handshake will tell
    }
    try {
      byte[] msg = "tcpdial".getBytes(StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(alg);
      if (alg.equals("RSASSA-PSS")) {
        s.setParameter(new java.security.spec.PSSParameterSpec("SHA-256", "MGF1",
            java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
      }
      s.initSign(key);
      s.update(msg);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      if (alg.equals("RSASSA-PSS")) {
        v.setParameter(new java.security.spec.PSSParameterSpec("SHA-256", "MGF1",
            java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
      }
      v.initVerify(cert.getPublicKey());
      v.update(msg);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static byte[] der(String base64) {
    return Base64.getMimeDecoder().decode(base64);
  }

  /** The OID TLV inside a SEC1 key's {@code [0]} parameters, or null. */
  private static byte[] curveOid(byte[] sec1) {
    // SEQUENCE { INTEGER 1, OCTET STRING key, [0] { OID }, [1] {...} }
    int[] p = {0};
    if (sec1.length < 2 || sec1[0] != 0x30) {
      return null;
    }
    p[0] = 1;
    int end = length(sec1, p) + p[0];
    while (p[0] < end && p[0] < sec1.length) {
      int tag = sec1[p[0]++] & 0xff;
      int len = length(sec1, p);
      if (tag == 0xa0 && len > 0 && p[0] + len <= sec1.length) {
        return Arrays.copyOfRange(sec1, p[0], p[0] + len);
      }
      p[0] += len;
    }
    return null;
  }

  private static int length(byte[] b, int[] p) {
    int first = b[p[0]++] & 0xff;
    if (first < 0x80) {
      return first;
    }
    int n = first & 0x7f;
    int len = 0;
    for (int i = 0; i < n; i++) {
      len = len << 8 | b[p[0]++] & 0xff;
    }
    return len;
  }

  private static byte[] tlv(int tag, byte[] value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 6);
    out.write(tag);
    int n = value.length;
    if (n < 0x80) {
      out.write(n);
    } else if (n < 0x100) {
      out.write(0x81);
      out.write(n);
    } else if (n < 0x10000) {
      out.write(0x82);
      out.write(n >> 8);
      out.write(n);
    } else {
      out.write(0x83);
      out.write(n >> 16);
      out.write(n >> 8);
      out.write(n);
    }
    out.writeBytes(value);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** The JDK's PKIX trust manager over {@code cas}, or over its own roots when null. */
  private static X509TrustManager pkix(List<X509Certificate> cas)
      throws GeneralSecurityException, IOException {
    KeyStore ks = null;
    if (cas != null) {
      ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      int i = 0;
      for (X509Certificate c : cas) {
        ks.setCertificateEntry("ca" + i++, c);
      }
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(ks);
    for (TrustManager tm : tmf.getTrustManagers()) {
      if (tm instanceof X509TrustManager x) {
        return x;
      }
    }
    throw new GeneralSecurityException("no X.509 trust manager");
  }

  /**
   * RequestClientCert and RequireAnyClientCert: a client certificate is asked for (and, for the
   * second, required) but not verified, as Go's policies of those names do.
   */
  private static final X509TrustManager ANY = new X509ExtendedTrustManager() {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket s) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket s) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine e) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine e) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  };

  /** {@code client_allowed_sans}: the client certificate must carry one of them exactly. */
  private static final class SanCheck implements X509TrustManager {
    private final X509TrustManager inner;
    private final Set<String> allowed;

    SanCheck(X509TrustManager inner, Set<String> allowed) {
      this.inner = inner;
      this.allowed = allowed;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      inner.checkClientTrusted(chain, authType);
      Collection<List<?>> sans = chain.length == 0 ? null : chain[0].getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          // 1 rfc822Name, 2 dNSName, 6 URI, 7 iPAddress
          if (san.size() >= 2 && san.get(1) instanceof String v && allowed.contains(v)) {
            return;
          }
        }
      }
      throw new CertificateException("could not find allowed SANs in client cert, found: "
          + allowed);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      inner.checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return inner.getAcceptedIssuers();
    }
  }
}
