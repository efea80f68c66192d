package dev.tcpdial.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Numbers as client_golang writes them: Go's {@code strconv.FormatFloat(f, 'g', -1, 64)} with
 * the text format's and OpenMetrics' special cases (the expected values are Go's own output),
 * and a Java client exposition rewritten to them.
 */
class GoTextTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "1|1|1.0", "0|0|0.0", "-0.0|0|0.0", "-1|-1|-1.0", "0.25|0.25|0.25", "8|8|8.0",
    "20|20|20.0", "100000|100000|100000.0", "123456.7|123456.7|123456.7",
    "1000000|1e+06|1e+06", "1234567.8|1.2345678e+06|1.2345678e+06",
    "3.668918509E9|3.668918509e+09|3.668918509e+09", "0.0001|0.0001|0.0001",
    "0.00001|1e-05|1e-05", "0.000123|0.000123|0.000123", "1.5E-7|1.5e-07|1.5e-07",
    "1E21|1e+21|1e+21", "1.7976931348623157E308|1.7976931348623157e+308|1.7976931348623157e+308",
    "4.9E-324|5e-324|5e-324", "-2.5E10|-2.5e+10|-2.5e+10", "0.1|0.1|0.1",
    "123456|123456|123456.0", "1796438199|1.796438199e+09|1.796438199e+09",
    "1.0E-322|1e-322|1e-322", "2.5E-323|2.5e-323|2.5e-323", "9.9E-324|1e-323|1e-323",
  })
  void numbersAsGoWritesThem(double f, String text, String openMetrics) {
    assertThat(GoText.number(f)).isEqualTo(text);
    assertThat(GoText.openMetricsNumber(f)).isEqualTo(openMetrics);
  }

  @Test
  void specialValues() {
    assertThat(GoText.number(Double.NaN)).isEqualTo("NaN");
    assertThat(GoText.number(Double.POSITIVE_INFINITY)).isEqualTo("+Inf");
    assertThat(GoText.number(Double.NEGATIVE_INFINITY)).isEqualTo("-Inf");
    assertThat(GoText.openMetricsNumber(Double.NaN)).isEqualTo("NaN");
    assertThat(GoText.openMetricsNumber(Double.POSITIVE_INFINITY)).isEqualTo("+Inf");
  }

  static String write(PrometheusRegistry r, String accept) throws Exception {
    ExpositionFormatWriter w = ExpositionFormats.init().findWriter(accept);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    w.write(out, r.scrape());
    return new String(GoText.exposition(out.toByteArray(), w.getContentType()),
        StandardCharsets.UTF_8);
  }

  @Test
  void aJavaExpositionGetsGoNumbersAndKeepsEverythingElse() throws Exception {
    PrometheusRegistry r = new PrometheusRegistry();
    Gauge g = Gauge.builder().name("t_timestamp_seconds").help("a \\ help\nline")
        .labelNames("odd").register(r);
    // a label value that looks like the end of a sample: only the value after it is rewritten
    g.labelValues("x\"} 1.0 le=\"1.0E-4\"").set(1.796438199e9);
    Counter c = Counter.builder().name("t_events_total").help("events").register(r);
    c.inc(8);
    Histogram h = Histogram.builder().name("t_seconds").help("times")
        .classicUpperBounds(0.0001, 0.5, 1, 10).register(r);
    h.observe(0.3);
    h.observe(2);
    String text = write(r, null);
    assertThat(text)
        .contains("t_timestamp_seconds{odd=\"x\\\"} 1.0 le=\\\"1.0E-4\\\"\"} 1.796438199e+09\n")
        .contains("# HELP t_timestamp_seconds a \\\\ help\\nline\n")
        .contains("t_events_total 8\n")
        .contains("t_seconds_bucket{le=\"0.0001\"} 0\n")
        .contains("t_seconds_bucket{le=\"0.5\"} 1\n")
        .contains("t_seconds_bucket{le=\"1\"} 1\n")
        .contains("t_seconds_bucket{le=\"10\"} 2\n")
        .contains("t_seconds_bucket{le=\"+Inf\"} 2\n")
        .contains("t_seconds_count 2\n")
        .contains("t_seconds_sum 2.3\n")
        .doesNotContain("E9").doesNotContain(".0\n");
    String om = write(r, "application/openmetrics-text; version=1.0.0; charset=utf-8");
    assertThat(om)
        .contains("t_timestamp_seconds{odd=\"x\\\"} 1.0 le=\\\"1.0E-4\\\"\"} 1.796438199e+09\n")
        .contains("t_events_total 8.0\n")
        .contains("t_seconds_bucket{le=\"0.0001\"} 0\n")
        .contains("t_seconds_bucket{le=\"1.0\"} 1\n")
        .contains("t_seconds_bucket{le=\"10.0\"} 2\n")
        .endsWith("# EOF\n");
  }

  @Test
  void protobufAndUnparsableLinesAreLeftAlone() {
    byte[] proto = {1, 2, 3, '\n', 'x'};
    assertThat(GoText.exposition(proto, "application/vnd.google.protobuf; proto=x"))
        .isSameAs(proto);
    String odd = "a{b=\"unterminated} 1.0\nc 2.0\nd{e=\"f\"}\ng{h=\"i\"} 3.0 1700000000000\n";
    assertThat(new String(GoText.exposition(odd.getBytes(StandardCharsets.UTF_8),
        "text/plain; version=0.0.4"), StandardCharsets.UTF_8))
        .isEqualTo("a{b=\"unterminated} 1.0\nc 2\nd{e=\"f\"}\ng{h=\"i\"} 3 1700000000000\n");
  }
}
