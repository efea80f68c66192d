package dev.tcpdial.cli.output;

import dev.tcpdial.DialResult;
import dev.tcpdial.exporter.Stages;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The columns of {@code check --tls} and {@code check --module} after the connect's: the TLS
 * stage (outcome, alert, version, the earliest expiry among the certificates the server sent and
 * the whole days until it), the dialogue (outcome, step) and {@code probe_success}. The same
 * columns in every format; for {@code --tls} the module is empty and the dialogue {@code
 * not_configured}.
 */
public final class StageColumns implements RowExtras {
  private final Map<DialResult, Stages.Result> stages =
      Collections.synchronizedMap(new IdentityHashMap<>());
  private final Instant now;
  private final boolean module;

  /**
   * Columns for one run.
   *
   * @param now the instant days are counted from
   * @param module whether rows come from {@code --module} (the dialogue and success are shown
   *     in text)
   */
  public StageColumns(Instant now, boolean module) {
    this.now = now;
    this.module = module;
  }

  /**
   * Remembers the stages of the row whose connect is {@code r.connect()}.
   *
   * @param r the probe's stages
   */
  public void put(Stages.Result r) {
    stages.put(r.connect(), r);
  }

  /**
   * Whole days from {@code now} until {@code expiry}, counted toward zero (negative once it
   * passed: -1 a day after).
   *
   * @param now the instant counted from
   * @param expiry the certificate's NotAfter
   * @return the days
   */
  public static long daysLeft(Instant now, Instant expiry) {
    return Duration.between(now, expiry).toDays();
  }

  private Stages.Result of(Row row) {
    Stages.Result r = stages.get(row.result());
    if (r == null) {
      throw new IllegalStateException("no stages for " + row.result().target());
    }
    return r;
  }

  @Override
  public List<String> csvHeader() {
    return List.of("module", "tls_outcome", "tls_alert", "tls_version", "cert_not_after",
        "cert_days_left", "query_outcome", "query_step", "success", "probe_ms");
  }

  @Override
  public List<String> csv(Row row) {
    Stages.Result r = of(row);
    Optional<Instant> expiry = r.tls().earliestExpiry();
    return List.of(r.module() == null ? "" : r.module(), r.tls().outcome(), r.tls().alert(),
        r.tls().version() == null ? "" : r.tls().version(),
        expiry.map(Instant::toString).orElse(""),
        expiry.map(e -> Long.toString(daysLeft(now, e))).orElse(""), r.query().outcome(),
        r.query().step() == 0 ? "" : Integer.toString(r.query().step()),
        Boolean.toString(r.success()), Report.ms(r.duration()));
  }

  @Override
  public void json(StringBuilder sb, Row row) {
    Stages.Result r = of(row);
    Optional<Instant> expiry = r.tls().earliestExpiry();
    sb.append(",\"module\":");
    Report.quoteInto(sb, r.module());
    sb.append(",\"tls\":{\"outcome\":");
    Report.quoteInto(sb, r.tls().outcome()).append(",\"alert\":");
    Report.quoteInto(sb, r.tls().alert()).append(",\"version\":");
    Report.quoteInto(sb, r.tls().version()).append(",\"cert_not_after\":");
    Report.quoteInto(sb, expiry.map(Instant::toString).orElse(null))
        .append(",\"cert_days_left\":")
        .append(expiry.map(e -> Long.toString(daysLeft(now, e))).orElse("null"))
        .append(",\"detail\":");
    Report.quoteInto(sb, r.tls().detail()).append("},\"query\":{\"outcome\":");
    Report.quoteInto(sb, r.query().outcome()).append(",\"step\":")
        .append(r.query().step() == 0 ? "null" : Integer.toString(r.query().step()))
        .append("},\"success\":").append(r.success()).append(",\"probe_ms\":");
    Report.msInto(sb, r.duration());
  }

  @Override
  public String text(Row row) {
    Stages.Result r = of(row);
    StringBuilder b = new StringBuilder("tls ").append(r.tls().outcome());
    if (!r.tls().alert().isEmpty()) {
      b.append(' ').append(r.tls().alert());
    }
    if (r.tls().version() != null) {
      b.append(", ").append(r.tls().version());
    }
    r.tls().earliestExpiry().ifPresent(e -> {
      long days = daysLeft(now, e);
      b.append(", certificate ").append(e.isAfter(now) ? "expires " : "expired ")
          .append(e.atOffset(ZoneOffset.UTC).toLocalDate()).append(" (").append(days)
          .append(Math.abs(days) == 1 ? " day)" : " days)");
    });
    if (module) {
      b.append("; query ").append(r.query().outcome());
      if (r.query().step() > 0) {
        b.append(" at step ").append(r.query().step());
      }
      b.append("; probe_success ").append(r.success() ? 1 : 0);
    }
    return b.toString();
  }

  @Override
  public List<String> verbose(Row row) {
    Stages.Result r = of(row);
    List<String> out = new ArrayList<>();
    out.add("probe: " + Report.ms(r.duration()) + " ms of a deadline of "
        + Report.human(r.deadline()) + (r.module() == null ? "" : ", module " + r.module()));
    if (r.tls().detail() != null) {
      out.add("tls: " + r.tls().detail());
    }
    int i = 0;
    for (X509Certificate c : r.tls().chain()) {
      out.add("certificate #" + i++ + ": subject " + c.getSubjectX500Principal().getName()
          + "; issuer " + c.getIssuerX500Principal().getName() + "; not after "
          + c.getNotAfter().toInstant() + "; sha256 " + fingerprint(c));
    }
    for (String line : r.query().transcript()) {
      out.add("query: " + line);
    }
    return out;
  }

  private static String fingerprint(X509Certificate c) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      return "-";
    }
  }
}
