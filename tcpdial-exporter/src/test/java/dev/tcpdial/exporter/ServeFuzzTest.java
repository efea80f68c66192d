package dev.tcpdial.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tcpdial.Resolver;
import dev.tcpdial.Target;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * The exporter's inputs on any text: the {@code /probe} query and scrape timeout header, and the
 * YAML configuration. A value, or the documented one-line refusal (400 and a reason for a
 * request, {@link Config.Invalid} for a configuration); never another exception, never a hang.
 */
class ServeFuzzTest {
  static final Config CONFIG;
  static final Exporter EXPORTER = new Exporter(new Exporter.Settings(
      new InetSocketAddress("127.0.0.1", 0), null, Duration.ofMillis(500), Cidrs.ANY, 10),
      Resolver.system(), new PrintWriter(Writer.nullWriter()));

  static {
    try {
      CONFIG = Config.parse(ServeTest.BLACKBOX_YML, "blackbox.yml");
    } catch (Config.Invalid e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  static void oneLine(Throwable e, String input) {
    String m = e.getMessage();
    assertThat(m).as("message of %s", e.getClass().getName()).isNotBlank();
    assertThat(m).as("one line, for input %s", input).doesNotContain("\n").doesNotContain("\r");
    assertThat(e.getCause()).as("cause").isNull();
  }

  /**
   * The input's first line is the raw query ({@code target=...&module=...&debug=...}), the rest,
   * when there is a line break, the {@code X-Prometheus-Scrape-Timeout-Seconds} header.
   */
  @FuzzTest
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void probeQuery(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    int nl = text.indexOf('\n');
    String query = nl < 0 ? text : text.substring(0, nl);
    String header = nl < 0 ? null : text.substring(nl + 1);
    Exporter.ProbeRequest p;
    try {
      p = EXPORTER.probeRequest(query, header, CONFIG);
    } catch (Exporter.Rejected r) {
      oneLine(r, text);
      assertThat(r.status).isEqualTo(400);
      assertThat(r.reason).isIn("bad_request", "unserved_module");
      return;
    }
    assertThat(CONFIG.modules()).containsEntry(p.moduleName(), p.module());
    if (p.target() == null) {
      // a failed probe, answered 200 as blackbox_exporter answers it: the reason is one line
      assertThat(p.targetError()).isNotBlank().doesNotContain("\n").doesNotContain("\r");
    } else {
      assertThat(Target.parse(p.target().toString())).isEqualTo(p.target());
      assertThat(Target.parse(p.targetText())).isEqualTo(p.target());
    }
    assertThat(p.deadline()).isGreaterThanOrEqualTo(Duration.ofMillis(1));
    // capped by the module's timeout when it has one
    if (!p.module().timeout().isZero()) {
      assertThat(p.deadline()).isLessThanOrEqualTo(p.module().timeout());
    }
  }

  @FuzzTest
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void config(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    Config c;
    try {
      c = Config.parse(text, "fuzz.yml");
    } catch (Config.Invalid e) {
      oneLine(e, text);
      assertThat(e.getMessage()).matches("(?s)fuzz\\.yml(:[0-9]+)?: .*");
      return;
    }
    assertThat(c.notServed().values()).allSatisfy(why -> assertThat(why).isNotBlank()
        .doesNotContain("\n").doesNotContain("\r"));
    Set<String> served = c.modules().keySet();
    assertThat(c.tcpModules()).containsAllEntriesOf(c.modules());
    for (Config.ContinuousTarget t : c.targets()) {
      assertThat(served).contains(t.module());
      assertThat(t.interval()).isGreaterThanOrEqualTo(Duration.ofMillis(10));
      assertThat(Target.parse(t.target().toString())).isEqualTo(t.target());
    }
    for (Module m : c.tcpModules().values()) {
      assertThat(m.timeout().isNegative()).as("negative timeout").isFalse();
      assertThat(m.tlsConfig()).isNotNull();
      for (QueryStep q : m.queryResponse()) {
        assertThat(q.expect() != null && q.expectBytes() != null).as("expect and expect_bytes")
            .isFalse();
        assertThat(q.send() == null || q.send().length > 0).isTrue();
      }
    }
  }
}
