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
        new String[] {"{cert_file: c}", "exactly one of key or key_file must be configured"},
        new String[] {"{key_file: k}", "exactly one of cert or cert_file must be configured"},
        new String[] {"{min_version: TLS14}", "unknown TLS version: TLS14"},
        new String[] {"{min_version: tls12}", "unknown TLS version: tls12"},
        new String[] {"{insecure_skip_verify: maybe}", "cannot unmarshal !!str `maybe` into bool"},
        new String[] {"{sni: x}", "field sni not found"})) {
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

  static String refusal(String yaml) {
    try {
      Config.parse(yaml, "f.yml");
      throw new AssertionError("accepted: " + yaml);
    } catch (Config.Invalid e) {
      assertThat(e.getMessage()).doesNotContain("\n").startsWith("f.yml:");
      return e.getMessage();
    }
  }

  /** Go's yaml.v3, as blackbox_exporter reads its file (each case checked against 0.23). */
  @Test
  void readsYamlAsGoYamlV3Does() throws Exception {
    // a bool field takes YAML 1.1's yes/no/on/off, even quoted, but not a quoted "true" or 1
    assertThat(model("modules: {m: {prober: tcp, tcp: {tls: yes}}}").tls()).isTrue();
    assertThat(model("modules: {m: {prober: tcp, tcp: {tls: \"on\"}}}").tls()).isTrue();
    assertThat(model("modules: {m: {prober: tcp, tcp: {tls: Off}}}").tls()).isFalse();
    assertThat(refusal("modules: {m: {prober: tcp, tcp: {tls: \"true\"}}}"))
        .isEqualTo("f.yml:1: modules.m.tcp.tls: cannot unmarshal !!str `true` into bool");
    assertThat(refusal("modules: {m: {prober: tcp, tcp: {tls: 1}}}"))
        .contains("cannot unmarshal !!int `1` into bool");
    // a duration is text: 0 and 5 are numbers, "0" is a duration
    assertThat(refusal("modules: {m: {prober: tcp, timeout: 0}}"))
        .contains("modules.m.timeout: cannot unmarshal !!int `0` into time.Duration");
    assertThat(model("modules: {m: {prober: tcp, timeout: \"0\"}}").timeout()).isZero();
    assertThat(model("modules: {m: {prober: tcp, timeout: 1m30s}}").timeout())
        .isEqualTo(java.time.Duration.ofSeconds(90));
    // a null leaves the default; an int list takes 1_0, 0x10, 017 and truncates 200.7
    assertThat(model("modules: {m: {prober: tcp, tcp: {ip_protocol_fallback: ~}}}").fallback())
        .isTrue();
    Config.parse("modules: {m: {prober: http, http: {valid_status_codes: [200.7, 0x10, 1_0,"
        + " 017]}}}", "f.yml");
    assertThat(refusal("modules: {m: {prober: http, http: {valid_status_codes: [\"200\"]}}}"))
        .contains("valid_status_codes[0]: cannot unmarshal !!str `200` into int");
    // keys repeat nowhere, not even quoted
    assertThat(refusal("modules:\n  m:\n    prober: tcp\n    \"prober\": tcp\n"))
        .isEqualTo("f.yml:4: modules.m: mapping key \"prober\" already defined at line 3");
    // merge keys: the mapping's own keys win, the merged ones are checked as its own
    Config merged = Config.parse("modules:\n  a: &a {prober: tcp, timeout: 5s}\n"
        + "  b: {<<: *a, timeout: 3s}\n", "f.yml");
    assertThat(merged.modules().get("b").timeout()).isEqualTo(java.time.Duration.ofSeconds(3));
    assertThat(merged.modules().get("a").timeout()).isEqualTo(java.time.Duration.ofSeconds(5));
    assertThat(refusal("x: &x {prober: tcp}\nmodules: {m: {<<: *x}}\n"))
        .contains("f.yml:1: x: field x not found");
    assertThat(refusal("modules:\n  a: &a {prober: tcp, bogus: 1}\n  b: {<<: *a}\n"))
        .contains("modules.a.bogus: field bogus not found");
    // only the first document is read, as Decoder.Decode reads one
    assertThat(Config.parse("modules: {m: {prober: tcp}}\n---\n[[: x\n", "f.yml").modules())
        .containsKey("m");
    // an empty stream is refused (blackbox_exporter: EOF); no modules at all is a configuration
    assertThat(refusal("# nothing\n")).isEqualTo("f.yml: empty: no YAML document (expected"
        + " 'modules:')");
    for (String none : new String[] {"modules: {}", "modules:", "{}", "~"}) {
      Config c = Config.parse(none, "f.yml");
      assertThat(c.modules()).as(none).isEmpty();
      assertThat(c.notServed()).as(none).isEmpty();
    }
  }

  /** Unknown fields are errors everywhere, in the sections of every prober, served or not. */
  @Test
  void everyProbersSectionIsCheckedAsBlackboxChecksIt() throws Exception {
    String[][] cases = {
        {"http: {valid_status_code: [200]}", "modules.m.http.valid_status_code: field"},
        {"http: {basic_auth: {user: a}}", "modules.m.http.basic_auth.user: field user not found"},
        {"http: {oauth2: {client_id: a, token_url: b, tls_config: {sni: c}}}",
            "modules.m.http.oauth2.tls_config.sni: field sni not found"},
        {"http: {fail_if_header_matches: [{header: a, regexp: '(', allow_missing: true}]}",
            "fail_if_header_matches[0].regexp: could not compile regular expression \"(\""},
        {"http: {proxy_url: 'http://a:b'}", "parse \"http://a:b\": invalid port \":b\""},
        {"http: {body_size_limit: 100}", "units: unknown unit  in 100"},
        {"http: {http_headers: {Host: {values: [a]}}}", "setting header \"Host\" is not allowed"},
        {"icmp: {ttl: 256}", "modules.m.icmp.ttl: \"ttl\" cannot exceed 255"},
        {"icmp: {dont_fragmnt: true}", "modules.m.icmp.dont_fragmnt: field"},
        {"dns: {query_name: x, query_type: AAAAA}", "query type 'AAAAA' is not valid"},
        {"dns: {query_name: x, validate_answer_rrs: {fail_if_matchs_regexp: [a]}}",
            "validate_answer_rrs.fail_if_matchs_regexp: field"},
        {"grpc: {service: a, metadata: {k: v}}",
            "modules.m.grpc.metadata.k: cannot unmarshal !!str `v` into []string"},
        {"unix: {query_response: [{expect: '['}]}", "could not compile regular expression"},
        {"websocket: {http_config: {bearer_token: a, bearer_token_file: b}}",
            "at most one of bearer_token & bearer_token_file"},
        {"tcp: {query_response: [{expect: a, expct: b}]}", "query_response[0].expct: field"},
    };
    for (String[] c : cases) {
      String prober = c[0].substring(0, c[0].indexOf(':'));
      assertThat(refusal("modules: {m: {prober: " + prober + ", " + c[0] + "}}"))
          .as(c[0]).contains(c[1]);
    }
    // prober names are checked; another prober's section beside it is checked too
    assertThat(refusal("modules: {m: {prober: tpc}}")).isEqualTo("f.yml:1: modules.m.prober:"
        + " prober 'tpc' is not valid (one of http, tcp, icmp, dns, grpc, unix, websocket)");
    assertThat(refusal("modules: {m: {prober: tcp, dns: {query_nam: x}}}"))
        .contains("modules.m.dns.query_nam: field");
    // a DNS answer check blackbox_exporter compiles only when probing: accepted, and named
    assertThat(Config.parse("modules: {d: {prober: dns, dns: {query_name: x,"
        + " validate_answer_rrs: {fail_if_matches_regexp: [ok, '(']}}}}", "f.yml").notServed())
        .containsEntry("d", "prober dns: tcpdial serves prober: tcp only;"
            + " dns.validate_answer_rrs.fail_if_matches_regexp: '(' does not compile"
            + " (blackbox_exporter fails every probe of this module)");
  }

  /**
   * Fields that must be scalars are refused as anything else, before any alias is expanded:
   * issue 22's 988-byte bomb in a continuous target's labels grew the exporter to 5.7 GB.
   */
  @Test
  void aliasBombsAreRefusedWithoutBeingExpanded() {
    StringBuilder b = new StringBuilder("modules:\n  tcp_connect:\n    prober: tcp\ntargets:\n"
        + "  - target: 127.0.0.1:19000\n    labels:\n      a: &a [");
    b.append(String.join(", ", java.util.Collections.nCopies(9, "lol".repeat(17) + "l")))
        .append("]\n");
    for (char c = 'b', prev = 'a'; c <= 'q'; prev = c, c++) {
      b.append("      ").append(c).append(": &").append(c).append(" [*").append(prev)
          .append(", *").append(prev).append(", *").append(prev).append("]\n");
    }
    assertThat(b.toString()).hasSize(988);
    long t0 = System.nanoTime();
    assertThat(refusal(b.toString())).isEqualTo(
        "f.yml:7: targets[0].labels.a: cannot unmarshal !!seq into string");
    // where any value is allowed (an OAuth2 claim), yaml.v3's alias rule stops the expansion
    String bomb = b.substring(b.indexOf("      a: &a"));
    String claims = "modules:\n  h:\n    prober: http\n    http:\n      oauth2:\n"
        + "        client_id: a\n        token_url: b\n        claims:\n"
        + bomb.replace("      ", "          ");
    assertThat(refusal(claims)).endsWith(": document contains excessive aliasing");
    // aliases as such are fine: a module merged into fifty others
    StringBuilder many = new StringBuilder("modules:\n  base: &base {prober: tcp, timeout: 2s}\n");
    for (int i = 0; i < 200; i++) {
      many.append("  m").append(i).append(": {<<: *base}\n");
    }
    assertThat(refusal(many.toString().replace("timeout: 2s", "timeout: 2")))
        .contains("modules.base.timeout");
    double took = (System.nanoTime() - t0) / 1e9;
    assertThat(took).as("seconds for three refusals").isLessThan(10);
  }

  @Test
  void fieldsThatMustBeScalarsRefuseListsAndMappings() {
    for (String[] c : new String[][] {
        {"targets: [{target: [127.0.0.1:1]}]", "targets[0].target: cannot unmarshal !!seq"},
        {"targets: [{target: 127.0.0.1:1, module: {a: b}}]", "targets[0].module: cannot"},
        {"targets: [{target: 127.0.0.1:1, labels: {site: {a: b}}}]", "labels.site: cannot"},
        {"targets: [{target: 127.0.0.1:1, interval: [1s]}]", "interval: cannot unmarshal"},
        {"modules: {m: {prober: [tcp]}}", "modules.m.prober: cannot unmarshal !!seq into"},
        {"modules: {m: {prober: tcp, tcp: {query_response: [{send: [a]}]}}}", "send: cannot"}}) {
      String yaml = c[0].startsWith("modules:") ? c[0]
          : "modules: {tcp_connect: {prober: tcp}}\n" + c[0] + "\n";
      assertThat(refusal(yaml)).as(c[0]).contains(c[1]);
    }
  }

  /**
   * Running out of stack or memory while reading is a refusal of one line, never an Error (the
   * depth and alias bounds make it unlikely; this is the last line of defence).
   */
  @Test
  void aParseThatRunsOutOfStackOrMemoryIsRefused() {
    assertThatThrownBy(() -> Config.parse("modules: {}", "f.yml", (y, s) -> {
      throw new StackOverflowError();
    })).isInstanceOf(Config.Invalid.class)
        .hasMessage("f.yml: too large or too deeply nested to read (StackOverflowError)");
    assertThatThrownBy(() -> Config.parse("modules: {}", "f.yml", (y, s) -> {
      throw new OutOfMemoryError("Java heap space");
    })).isInstanceOf(Config.Invalid.class)
        .hasMessage("f.yml: too large or too deeply nested to read (OutOfMemoryError)");
  }

  /** The file is bounded before it is parsed: size, kind, encoding. */
  @Test
  void fileIsReadBounded(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path big = dir.resolve("big.yml");
    java.nio.file.Files.write(big, new byte[Config.MAX_BYTES + 1]);
    assertThatThrownBy(() -> Config.load(big)).hasMessage(big + ": larger than 4 MiB");
    Path fifo = dir.resolve("fifo.yml");
    new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
    assertThatThrownBy(() -> Config.load(fifo)).hasMessage(fifo + ": cannot read: not a"
        + " regular file");
    Path latin1 = dir.resolve("latin1.yml");
    java.nio.file.Files.write(latin1, "modules: {m\u00e9: {prober: tcp}}".getBytes(
        StandardCharsets.ISO_8859_1));
    assertThatThrownBy(() -> Config.load(latin1)).hasMessage(latin1 + ": not UTF-8 text");
    assertThatThrownBy(() -> Config.load(dir.resolve("none.yml"))).hasMessageEndingWith(
        "none.yml: cannot read: no such file");
    assertThatThrownBy(() -> Config.load(dir)).hasMessageEndingWith(": cannot read: not a"
        + " regular file");
  }
}
