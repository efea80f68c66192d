package dev.tcpdial.exporter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The configuration model: what a {@code prober: tcp} module carries, checked at load. */
class ConfigTest {

  /** What the probe needs from a module, read from blackbox_exporter's own examples. */
  static Module model(String yaml) throws Config.Invalid {
    return Config.model(Config.parse(yaml, "f.yml"), "m");
  }

  @Test
  void tlsConfigCarriesEveryFieldWithBlackboxMeaning() throws Exception {
    Module m = model("""
        modules:
          m:
            prober: tcp
            tcp:
              tls: true
              tls_config:
                ca_file: /etc/ssl/ca.pem
                cert_file: client.pem
                key_file: client.key
                server_name: db.example
                insecure_skip_verify: false
                min_version: TLS12
                max_version: TLS13
        """);
    assertThat(m.tls()).isTrue();
    TlsConfig t = m.tlsConfig();
    assertThat(t.caFile()).isEqualTo(Path.of("/etc/ssl/ca.pem"));
    assertThat(t.certFile()).isEqualTo(Path.of("client.pem"));
    assertThat(t.keyFile()).isEqualTo(Path.of("client.key"));
    assertThat(t.clientCertificate()).isTrue();
    assertThat(t.serverName()).isEqualTo("db.example");
    assertThat(t.insecureSkipVerify()).isFalse();
    assertThat(t.minVersion()).isEqualTo(TlsConfig.Version.TLS12);
    assertThat(t.maxVersion()).isEqualTo(TlsConfig.Version.TLS13);
    assertThat(t.maxVersion().jdkName()).isEqualTo("TLSv1.3");
    assertThat(t.minVersion().label()).isEqualTo("TLS 1.2");
    // inline PEM text; the key never shows
    Module inline = model("""
        modules:
          m:
            prober: tcp
            tcp:
              tls: true
              tls_config: {ca: "-----BEGIN CERTIFICATE-----", cert: "C", key: "K1234", \
        insecure_skip_verify: true}
        """);
    assertThat(inline.tlsConfig().ca()).isEqualTo("-----BEGIN CERTIFICATE-----");
    assertThat(inline.tlsConfig().key()).isEqualTo("K1234");
    assertThat(inline.tlsConfig().insecureSkipVerify()).isTrue();
    assertThat(inline.tlsConfig().toString()).doesNotContain("K1234").contains("<secret>");
    // none given: the defaults, and empty strings count as not given, as in Go
    assertThat(model("modules: {m: {prober: tcp, tcp: {tls: true}}}").tlsConfig())
        .isEqualTo(TlsConfig.DEFAULT);
    assertThat(model("modules: {m: {prober: tcp, tcp: {tls_config: {ca_file: '', "
        + "server_name: ''}}}}").tlsConfig()).isEqualTo(TlsConfig.DEFAULT);
  }

  @Test
  void tlsConfigRefusesWhatBlackboxRefuses() {
    for (String[] c : List.of(
        new String[] {"{ca: x, ca_file: y}", "at most one of ca, ca_file & ca_ref"},
        new String[] {"{cert_file: c}", "a client certificate needs its key"},
        new String[] {"{key_file: k}", "a client key needs its certificate"},
        new String[] {"{min_version: TLS14}", "unknown TLS version: TLS14"},
        new String[] {"{min_version: tls12}", "unknown TLS version: tls12"},
        new String[] {"{insecure_skip_verify: maybe}", "is not true or false"},
        new String[] {"{sni: x}", "unknown field 'sni'"})) {
      assertThatThrownBy(() -> Config.parse("modules: {m: {prober: tcp, tcp: {tls: true, "
          + "tls_config: " + c[0] + "}}}", "f.yml"))
          .isInstanceOf(Config.Invalid.class).hasMessageContaining(c[1])
          .hasMessageStartingWith("f.yml:");
    }
  }

  @Test
  void queryResponseStepsKeepTheirOrderBytesAndRegexps() throws Exception {
    Module m = model("""
        modules:
          m:
            prober: tcp
            tcp:
              query_response:
                - expect: "^220 ([^ ]+) ESMTP (.+)$"
                  labels:
                    - name: host
                      value: "${1}"
                - send: "EHLO prober\\r"
                - send: !!binary AAAACATSFi8=
                - expect_bytes: S
                - starttls: true
                - expect: "PING :([^ ]+)"
                  send: "PONG ${1}"
        """);
    List<QueryStep> q = m.queryResponse();
    assertThat(q).hasSize(6);
    assertThat(q.get(0).expect().pattern()).isEqualTo("^220 ([^ ]+) ESMTP (.+)$");
    assertThat(q.get(0).expect().matcher("220 mx.example ESMTP Postfix").find()).isTrue();
    assertThat(q.get(0).labels()).containsExactly(new QueryStep.Label("host", "${1}"));
    assertThat(q.get(0).send()).isNull();
    assertThat(new String(q.get(1).send(), StandardCharsets.UTF_8)).isEqualTo("EHLO prober\r");
    assertThat(q.get(2).send()).containsExactly(0, 0, 0, 8, 4, 0xd2 - 256, 0x16, 0x2f);
    assertThat(q.get(3).expectBytes()).containsExactly('S');
    assertThat(q.get(3).expect()).isNull();
    assertThat(q.get(4).startTls()).isTrue();
    assertThat(q.get(5).send()).asString().isEqualTo("PONG ${1}");
    // Go's RE2, not java.util.regex: \Z and possessive quantifiers do not exist there
    assertThatThrownBy(() -> model("modules: {m: {prober: tcp, tcp: {query_response: "
        + "[{expect: 'a++'}]}}}")).hasMessageContaining("expect: could not compile");
    assertThatThrownBy(() -> model("modules: {m: {prober: tcp, tcp: {query_response: "
        + "[{expect: ':['}]}}}")).hasMessageContaining("query_response[0].expect");
    assertThatThrownBy(() -> model("modules: {m: {prober: tcp, tcp: {query_response: "
        + "[{expect: a, expect_bytes: b}]}}}"))
        .hasMessageContaining("expect and expect_bytes are mutually exclusive");
  }
}
