package dev.tcpdial.exporter;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates made for a test run: two CAs (the trusted one and a stranger) and server
 * certificates signed by them, valid, expired, not yet valid or for another name, written as PEM
 * files (EC P-256: quick to make, and every server here takes them). Public for the CLI's
 * {@code check --tls} tests, which use it through this module's test jar.
 */
public final class TestPki {
  final Path dir;
  final KeyPair caKey;
  final X509Certificate ca;
  final KeyPair otherCaKey;
  final X509Certificate otherCa;
  private long serial = 0x00ab_cdef_0100L;

  /** A server's certificate and key files. */
  public record Pair(Path cert, Path key, X509Certificate x509) {}

  /**
   * Makes the two CAs and writes the trusted one to {@code ca.pem} in {@code dir}.
   *
   * @param dir where the files go (created)
   * @throws Exception when a key or certificate cannot be made
   */
  public TestPki(Path dir) throws Exception {
    this.dir = dir;
    Files.createDirectories(dir);
    Instant now = Instant.now();
    caKey = key();
    ca = sign(new X500Name("C=DE,O=tcpdial test,CN=tcpdial test CA"), caKey, null, caKey, true,
        now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(3650)), List.of());
    otherCaKey = key();
    otherCa = sign(new X500Name("CN=stranger CA"), otherCaKey, null, otherCaKey, true,
        now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(3650)), List.of());
    write(dir.resolve("ca.pem"), ca);
  }

  /** The trusted CA's PEM file. */
  public Path caFile() {
    return dir.resolve("ca.pem");
  }

  static KeyPair key() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  /** A server certificate named {@code name}, for {@code names}, valid from..until. */
  public Pair server(String name, List<String> names, Instant from, Instant until,
      boolean trusted)
      throws Exception {
    KeyPair k = key();
    X509Certificate c = sign(new X500Name("C=DE,O=tcpdial test,OU=probes,CN=" + names.getFirst()),
        k, trusted ? ca : otherCa, trusted ? caKey : otherCaKey, false, from, until, names);
    Path cert = dir.resolve(name + ".pem");
    Path key = dir.resolve(name + ".key");
    // the chain as servers send it: the leaf, then its CA
    try (JcaPEMWriter w = new JcaPEMWriter(Files.newBufferedWriter(cert))) {
      w.writeObject(c);
      w.writeObject(trusted ? ca : otherCa);
    }
    Files.writeString(key, "-----BEGIN PRIVATE KEY-----\n"
        + java.util.Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
            .encodeToString(pkcs8(k)) + "\n-----END PRIVATE KEY-----\n");
    return new Pair(cert, key, c);
  }

  /**
   * The key as PKCS #8 with the public key inside its ECPrivateKey (RFC 5915), as OpenSSL writes
   * it: OpenSSL and the JDK read the JDK's own encoding, which leaves the public key out, but
   * GnuTLS (Exim's TLS) refuses that ("ASN1 parser: Element was not found") and Exim then
   * answers STARTTLS with 454.
   */
  static byte[] pkcs8(KeyPair k) throws IOException {
    java.security.interfaces.ECPublicKey pub = (java.security.interfaces.ECPublicKey) k.getPublic();
    java.security.interfaces.ECPrivateKey priv =
        (java.security.interfaces.ECPrivateKey) k.getPrivate();
    byte[] q = new byte[65];
    q[0] = 4; // uncompressed point
    fixed(pub.getW().getAffineX(), q, 1);
    fixed(pub.getW().getAffineY(), q, 33);
    org.bouncycastle.asn1.sec.ECPrivateKey inner = new org.bouncycastle.asn1.sec.ECPrivateKey(
        256, priv.getS(), new org.bouncycastle.asn1.DERBitString(q), null);
    return new org.bouncycastle.asn1.pkcs.PrivateKeyInfo(
        new org.bouncycastle.asn1.x509.AlgorithmIdentifier(
            org.bouncycastle.asn1.x9.X9ObjectIdentifiers.id_ecPublicKey,
            org.bouncycastle.asn1.sec.SECObjectIdentifiers.secp256r1), inner).getEncoded();
  }

  // n as 32 big-endian bytes at out[at..]
  private static void fixed(BigInteger n, byte[] out, int at) {
    byte[] b = n.toByteArray();
    int len = Math.min(b.length, 32);
    System.arraycopy(b, b.length - len, out, at + 32 - len, len);
  }

  /** A valid server certificate for {@code names}, signed by the trusted CA. */
  public Pair server(String name, String... names) throws Exception {
    Instant now = Instant.now();
    return server(name, List.of(names), now.minus(Duration.ofHours(1)),
        now.plus(Duration.ofDays(90)), true);
  }

  private X509Certificate sign(X500Name subject, KeyPair k, X509Certificate issuer,
      KeyPair issuerKey, boolean isCa, Instant from, Instant until, List<String> names)
      throws Exception {
    X500Name issuerName = issuer == null ? subject
        : X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded());
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuerName,
        BigInteger.valueOf(serial++), Date.from(from), Date.from(until), subject, k.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(isCa
        ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
    if (!names.isEmpty()) {
      GeneralName[] g = names.stream().map(n -> n.matches("[0-9.]+|.*:.*")
          ? new GeneralName(GeneralName.iPAddress, n) : new GeneralName(GeneralName.dNSName, n))
          .toArray(GeneralName[]::new);
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(g));
    }
    return new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey.getPrivate())));
  }

  static void write(Path file, X509Certificate c) throws IOException {
    StringWriter s = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(s)) {
      w.writeObject(c);
    }
    Files.writeString(file, s.toString());
  }
}
