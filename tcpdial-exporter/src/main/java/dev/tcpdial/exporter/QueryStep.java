package dev.tcpdial.exporter;

import com.google.re2j.Pattern;
import java.util.Arrays;
import java.util.List;

/**
 * One step of a module's {@code query_response}, with blackbox_exporter's meaning, in its order:
 * read lines until one matches {@code expect}; read exactly {@code expect_bytes}; send {@code
 * send} followed by a line feed; then, with {@code starttls}, upgrade the connection to TLS using
 * the module's {@code tls_config}. Each part is optional.
 *
 * <p>Bytes are bytes: a {@code !!binary} value (blackbox_exporter's {@code postgresql} module
 * sends one) keeps its bytes; text is its UTF-8 encoding, as a Go string is.
 *
 * @param expect {@code expect}: an RE2 regular expression (Go's syntax and meaning), compiled at
 *     load; matched against each line read (without its line break) until one matches; null = no
 *     line is read
 * @param expectBytes {@code expect_bytes}: the bytes that must come next, or null; never both
 *     with {@code expect} (refused at load, as blackbox_exporter refuses it)
 * @param labels {@code labels}: after {@code expect} matched, one {@code probe_expect_info}
 *     series with these labels; empty = none
 * @param send {@code send}: sent followed by {@code \n}; after a match of {@code expect}, {@code
 *     $1}, {@code ${1}}, {@code ${name}} are expanded from the match as Go's {@code
 *     Regexp.Expand} does; null = nothing sent
 * @param startTls {@code starttls}: upgrade to TLS after this step
 */
public record QueryStep(
    Pattern expect, byte[] expectBytes, List<Label> labels, byte[] send, boolean startTls) {

  /**
   * One label of {@code probe_expect_info}.
   *
   * @param name the label's name, used as written (checked at load to be a Prometheus label
   *     name)
   * @param value a template: {@code $1}, {@code ${1}}, {@code ${name}} expanded from {@code
   *     expect}'s match, as Go's {@code Regexp.Expand} does
   */
  public record Label(String name, String value) {}

  /** Copies the arrays and the list: a step never changes. */
  public QueryStep {
    expectBytes = expectBytes == null ? null : expectBytes.clone();
    send = send == null ? null : send.clone();
    labels = List.copyOf(labels);
  }

  /**
   * The bytes that must come next.
   *
   * @return a copy, or null when the step has none
   */
  @Override
  public byte[] expectBytes() {
    return expectBytes == null ? null : expectBytes.clone();
  }

  /**
   * What the step sends (before expansion and the line feed).
   *
   * @return a copy, or null when the step sends nothing
   */
  @Override
  public byte[] send() {
    return send == null ? null : send.clone();
  }

  /** Compares the regexps by their text and the byte arrays by content. */
  @Override
  public boolean equals(Object o) {
    return o instanceof QueryStep q
        && (expect == null ? q.expect == null
            : q.expect != null && expect.pattern().equals(q.expect.pattern()))
        && Arrays.equals(expectBytes, q.expectBytes) && labels.equals(q.labels)
        && Arrays.equals(send, q.send) && startTls == q.startTls;
  }

  @Override
  public int hashCode() {
    return ((expect == null ? 0 : expect.pattern().hashCode()) * 31
        + Arrays.hashCode(expectBytes)) * 31 + Arrays.hashCode(send) + labels.hashCode()
        + (startTls ? 1 : 0);
  }

  @Override
  public String toString() {
    return "QueryStep[expect=" + (expect == null ? null : expect.pattern()) + ", expectBytes="
        + (expectBytes == null ? null : expectBytes.length + " bytes") + ", labels=" + labels
        + ", send=" + (send == null ? null : send.length + " bytes") + ", startTls=" + startTls
        + "]";
  }
}
