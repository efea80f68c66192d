package dev.tcpdial.exporter;

import java.nio.file.Path;

/**
 * A module's {@code tls_config}, as blackbox_exporter (Prometheus' common {@code TLSConfig})
 * reads it. Checked at load: at most one of {@code ca}/{@code ca_file}/{@code ca_ref}, of the
 * three for the certificate and of the three for the key, and a client certificate only with its
 * key (and the other way round). Files are not read at load: blackbox_exporter reads them for
 * every connection, so a certificate renewed on disk is used by the next probe. A relative file
 * name is relative to the exporter's working directory, as blackbox_exporter's is.
 *
 * <p>An empty string in the file counts as not given (null here), as it does in Go.
 *
 * @param ca {@code ca}: the CA certificates (PEM text) that verify the server, or null
 * @param caFile {@code ca_file}: a PEM file of CA certificates, or null
 * @param caRef {@code ca_ref}: a secret manager's name for them (kept only to be refused at
 *     probe time: blackbox_exporter has no secret manager), or null
 * @param cert {@code cert}: the client certificate (PEM text), or null
 * @param certFile {@code cert_file}: the client certificate's PEM file, or null
 * @param certRef {@code cert_ref}, or null
 * @param key {@code key}: the client key (PEM text; a secret, never shown), or null
 * @param keyFile {@code key_file}: the client key's PEM file, or null
 * @param keyRef {@code key_ref}, or null
 * @param serverName {@code server_name}: the name sent in SNI and checked against the
 *     certificate; null = the target's host, as blackbox_exporter does
 * @param insecureSkipVerify {@code insecure_skip_verify}: accept any certificate and name
 * @param minVersion {@code min_version}, or null for the default (TLS 1.2, Go's client default)
 * @param maxVersion {@code max_version}, or null for the newest the runtime has
 */
public record TlsConfig(
    String ca,
    Path caFile,
    String caRef,
    String cert,
    Path certFile,
    String certRef,
    String key,
    Path keyFile,
    String keyRef,
    String serverName,
    boolean insecureSkipVerify,
    Version minVersion,
    Version maxVersion) {

  /** No {@code tls_config}: verify against the system's CAs, the target's name, default versions. */
  public static final TlsConfig DEFAULT =
      new TlsConfig(null, null, null, null, null, null, null, null, null, null, false, null, null);

  /**
   * A TLS protocol version as blackbox_exporter's {@code min_version}/{@code max_version} spell
   * it ({@code TLS10} ... {@code TLS13}).
   */
  public enum Version {
    /** TLS 1.0. */
    TLS10("TLSv1", "TLS 1.0"),
    /** TLS 1.1. */
    TLS11("TLSv1.1", "TLS 1.1"),
    /** TLS 1.2. */
    TLS12("TLSv1.2", "TLS 1.2"),
    /** TLS 1.3. */
    TLS13("TLSv1.3", "TLS 1.3");

    private final String jdkName;
    private final String label;

    Version(String jdkName, String label) {
      this.jdkName = jdkName;
      this.label = label;
    }

    /**
     * The JDK's protocol name, for {@code SSLParameters.setProtocols}.
     *
     * @return e.g. {@code TLSv1.2}
     */
    public String jdkName() {
      return jdkName;
    }

    /**
     * The value blackbox_exporter gives {@code probe_tls_version_info}'s {@code version} label.
     *
     * @return e.g. {@code TLS 1.2}
     */
    public String label() {
      return label;
    }

    /**
     * The version a {@code min_version}/{@code max_version} value names.
     *
     * @param yaml {@code TLS10}, {@code TLS11}, {@code TLS12} or {@code TLS13} (case matters,
     *     as in Go)
     * @return the version, or null for any other text
     */
    public static Version of(String yaml) {
      for (Version v : values()) {
        if (v.name().equals(yaml)) {
          return v;
        }
      }
      return null;
    }
  }

  /**
   * Whether any client certificate is configured ({@code cert}, {@code cert_file} or {@code
   * cert_ref}); the key then is too (checked at load).
   *
   * @return true for a client certificate
   */
  public boolean clientCertificate() {
    return cert != null || certFile != null || certRef != null;
  }

  /** Hides {@code key}, as blackbox_exporter's configuration page shows {@code <secret>}. */
  @Override
  public String toString() {
    return "TlsConfig[ca=" + (ca == null ? null : "(" + ca.length() + " chars)") + ", caFile="
        + caFile + ", caRef=" + caRef + ", cert=" + (cert == null ? null : "(" + cert.length()
        + " chars)") + ", certFile=" + certFile + ", certRef=" + certRef + ", key="
        + (key == null ? null : "<secret>") + ", keyFile=" + keyFile + ", keyRef=" + keyRef
        + ", serverName=" + serverName + ", insecureSkipVerify=" + insecureSkipVerify
        + ", minVersion=" + minVersion + ", maxVersion=" + maxVersion + "]";
  }
}
