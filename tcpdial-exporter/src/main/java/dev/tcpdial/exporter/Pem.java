package dev.tcpdial.exporter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * PEM certificates and private keys as Go's {@code crypto/tls} reads them: certificates from
 * every {@code CERTIFICATE} block; a key from the first {@code PRIVATE KEY} (PKCS #8), {@code RSA
 * PRIVATE KEY} (PKCS #1) or {@code EC PRIVATE KEY} (SEC 1) block. Files are bounded in size.
 */
final class Pem {
  private Pem() {}

  /** Larger files are refused: a CA bundle is a few hundred kilobytes. */
  static final long MAX_BYTES = 4 << 20;

  /**
   * Reads a regular file of at most {@link #MAX_BYTES}; anything else (missing, a directory, a
   * device or FIFO, which could block or never end, a larger file) is refused in one line that
   * names {@code what} and the file.
   */
  static String read(Path file, String what) throws IOException {
    String name = what + " " + file;
    if (!Files.exists(file)) {
      throw new IOException(name + ": no such file");
    }
    if (!Files.isRegularFile(file)) {
      throw new IOException(name + ": not a regular file");
    }
    if (!Files.isReadable(file)) {
      throw new IOException(name + ": permission denied");
    }
    byte[] b;
    try (java.io.InputStream in = Files.newInputStream(file)) {
      b = in.readNBytes((int) MAX_BYTES + 1);
    } catch (IOException e) {
      throw new IOException(name + ": cannot read: " + e.getClass().getSimpleName(), e);
    }
    if (b.length > MAX_BYTES) {
      throw new IOException(name + " is larger than " + (MAX_BYTES >> 20) + " MiB");
    }
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  /**
   * A file's modification time is trusted to tell one version from the next only when it is at
   * least this much older than the moment it was looked at: a file system with coarse time
   * stamps (FAT, some network file systems: up to 2 s) gives a rewrite within the same tick the
   * same time, so a younger file is read again at its next use.
   */
  static final long SETTLE_MILLIS = 2_000;

  /**
   * One version of a file, as {@code stat(2)} tells it (symbolic links followed, so a link that
   * is swapped to a new file, as Kubernetes does with mounted secrets, is a new version): its
   * modification time, size and file key (device and inode). A file renamed over another (the
   * usual way to rotate a certificate) has a new file key; one rewritten in place has a new
   * modification time, or a new size within the same tick.
   *
   * @param file the file as named
   * @param modified its modification time
   * @param size its size in bytes
   * @param key its file key (device and inode on Linux), or null where the platform has none
   * @param settled the modification time was {@link #SETTLE_MILLIS} older than the look, so a
   *     later rewrite is bound to change it
   */
  record Stamp(Path file, FileTime modified, long size, Object key, boolean settled) {
    /** The file's version now, or null when it cannot be looked at (the read then says why). */
    static Stamp of(Path file) {
      long now = System.currentTimeMillis();
      try {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return new Stamp(file, a.lastModifiedTime(), a.size(), a.fileKey(),
            a.lastModifiedTime().toMillis() < now - SETTLE_MILLIS);
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }

    /**
     * Whether the file is still this version: settled, and with the same time, size and key.
     */
    boolean current() {
      if (!settled || key == null) {
        return false;
      }
      Stamp now = of(file);
      return now != null && now.modified.equals(modified) && now.size == size
          && java.util.Objects.equals(now.key, key);
    }
  }

  private record Block(String type, byte[] der) {}

  private static List<Block> blocks(String pem) {
    List<Block> out = new ArrayList<>();
    int i = 0;
    while (true) {
      int begin = pem.indexOf("-----BEGIN ", i);
      if (begin < 0) {
        return out;
      }
      int typeEnd = pem.indexOf("-----", begin + 11);
      if (typeEnd < 0) {
        return out;
      }
      String type = pem.substring(begin + 11, typeEnd);
      String endLine = "-----END " + type + "-----";
      int end = pem.indexOf(endLine, typeEnd + 5);
      if (end < 0) {
        return out;
      }
      String body = pem.substring(typeEnd + 5, end);
      i = end + endLine.length();
      if (body.contains(":")) {
        continue; // headers: an encrypted key, which Go refuses too
      }
      try {
        out.add(new Block(type, Base64.getMimeDecoder().decode(body.strip())));
      } catch (IllegalArgumentException e) {
        // not base64: skipped, as Go's pem.Decode skips what it cannot read
      }
    }
  }

  /** Every certificate of a PEM text; none is an error. */
  static List<X509Certificate> certificates(String pem, String what) throws CertificateException {
    CertificateFactory f = CertificateFactory.getInstance("X.509");
    List<X509Certificate> out = new ArrayList<>();
    for (Block b : blocks(pem)) {
      if (b.type().equals("CERTIFICATE")) {
        out.add((X509Certificate) f.generateCertificate(new ByteArrayInputStream(b.der())));
      }
    }
    if (out.isEmpty()) {
      throw new CertificateException(what + ": no certificate found");
    }
    return out;
  }

  /** The private key of a PEM text. */
  static PrivateKey privateKey(String pem, String what) throws GeneralSecurityException {
    for (Block b : blocks(pem)) {
      byte[] pkcs8 = switch (b.type()) {
        case "PRIVATE KEY" -> b.der();
        case "RSA PRIVATE KEY" -> wrap(RSA, b.der());
        case "EC PRIVATE KEY" -> wrap(ecAlgorithm(b.der()), b.der());
        default -> null;
      };
      if (pkcs8 == null) {
        continue;
      }
      for (String alg : List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS")) {
        try {
          return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
          // the next kind
        }
      }
      throw new GeneralSecurityException(what + ": a private key of a kind not supported");
    }
    throw new GeneralSecurityException(what + ": no private key found");
  }

  // AlgorithmIdentifier { rsaEncryption, NULL }
  private static final byte[] RSA = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
      (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};

  // AlgorithmIdentifier { id-ecPublicKey, the curve OID found in ECPrivateKey's [0] parameters }
  private static byte[] ecAlgorithm(byte[] sec1) throws GeneralSecurityException {
    // ECPrivateKey ::= SEQUENCE { version INTEGER, privateKey OCTET STRING,
    //   parameters [0] OID OPTIONAL, publicKey [1] BIT STRING OPTIONAL }
    for (int i = 0; i + 2 < sec1.length; i++) {
      if ((sec1[i] & 0xff) == 0xa0 && (sec1[i + 2] & 0xff) == 0x06) {
        int len = sec1[i + 3] & 0xff;
        byte[] oid = new byte[2 + len];
        System.arraycopy(sec1, i + 2, oid, 0, oid.length);
        byte[] ecPublicKey = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};
        return seq(ecPublicKey, oid);
      }
    }
    throw new GeneralSecurityException("an EC private key without its curve");
  }

  private static byte[] wrap(byte[] algorithm, byte[] key) {
    byte[] version = {0x02, 0x01, 0x00};
    return seq(version, algorithm, tlv(0x04, key));
  }

  private static byte[] seq(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] body = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, body, at, p.length);
      at += p.length;
    }
    return tlv(0x30, body);
  }

  private static byte[] tlv(int tag, byte[] body) {
    byte[] len;
    if (body.length < 0x80) {
      len = new byte[] {(byte) body.length};
    } else if (body.length < 0x100) {
      len = new byte[] {(byte) 0x81, (byte) body.length};
    } else if (body.length < 0x10000) {
      len = new byte[] {(byte) 0x82, (byte) (body.length >> 8), (byte) body.length};
    } else {
      len = new byte[] {(byte) 0x83, (byte) (body.length >> 16), (byte) (body.length >> 8),
          (byte) body.length};
    }
    byte[] out = new byte[1 + len.length + body.length];
    out[0] = (byte) tag;
    System.arraycopy(len, 0, out, 1, len.length);
    System.arraycopy(body, 0, out, 1 + len.length, body.length);
    return out;
  }
}
