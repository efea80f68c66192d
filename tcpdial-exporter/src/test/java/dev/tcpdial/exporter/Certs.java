package dev.tcpdial.exporter;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates made for a test with the {@code openssl} command: a CA, a server certificate for
 * 127.0.0.1 and localhost, a client certificate, each signed by the CA, and a second CA nobody
 * trusts. Files {@code ca.pem}, {@code server.pem}, {@code server.key} (PKCS#8), {@code
 * server-sec1.key} (SEC1), {@code server-rsa.pem} with {@code server-rsa.key} (PKCS#1), {@code client.pem}, {@code client.key}, {@code other-ca.pem}.
 */
final class Certs {
  final Path dir;

  private Certs(Path dir) {
    this.dir = dir;
  }

  static Certs make(Path dir) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")),
        "needs the openssl command (Debian's openssl package) to make test certificates");
    Files.writeString(dir.resolve("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        + "extendedKeyUsage=serverAuth\n");
    Files.writeString(dir.resolve("client.ext"), "subjectAltName=DNS:scraper.test\n"
        + "extendedKeyUsage=clientAuth\n");
    for (String ca : List.of("ca", "other-ca")) {
      run(dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
          "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca + ".key", "-out", ca + ".pem",
          "-days", "2", "-subj", "/CN=tcpdial test " + ca);
    }
    for (String who : List.of("server", "client")) {
      run(dir, "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
          "-nodes", "-keyout", who + ".key", "-out", who + ".csr", "-subj", "/CN=" + who);
      run(dir, "openssl", "x509", "-req", "-in", who + ".csr", "-CA", "ca.pem", "-CAkey",
          "ca.key", "-CAcreateserial", "-out", who + ".pem", "-days", "2", "-extfile",
          who + ".ext");
    }
    // an RSA server key in PKCS#1 form, as older tools write it
    run(dir, "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server-rsa8.key",
        "-out", "server-rsa.csr", "-subj", "/CN=server");
    run(dir, "openssl", "x509", "-req", "-in", "server-rsa.csr", "-CA", "ca.pem", "-CAkey",
        "ca.key", "-CAcreateserial", "-out", "server-rsa.pem", "-days", "2", "-extfile",
        "server.ext");
    run(dir, "openssl", "rsa", "-in", "server-rsa8.key", "-out", "server-rsa.key",
        "-traditional");
    // the EC server key in SEC1 form ("EC PRIVATE KEY")
    run(dir, "openssl", "ec", "-in", "server.key", "-out", "server-sec1.key");
    return new Certs(dir);
  }

  Path path(String name) {
    return dir.resolve(name);
  }

  private static void run(Path dir, String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + ": " + out);
    }
  }

  /** A client context that trusts {@code ca} and, when given, shows the client certificate. */
  SSLContext client(String ca, boolean withCert) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(path(ca)))));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (withCert) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      var chain = new ArrayList<java.security.cert.Certificate>(ServerTls.certificates(
          Files.readString(path("client.pem")), "client.pem"));
      ks.setKeyEntry("client", ServerTls.key(Files.readString(path("client.key")), "client.key"),
          new char[0], chain.toArray(java.security.cert.Certificate[]::new));
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, new char[0]);
    }
    SSLContext c = SSLContext.getInstance("TLS");
    c.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return c;
  }
}
