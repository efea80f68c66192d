package dev.tcpdial.exporter;

import dev.tcpdial.DialResult;
import dev.tcpdial.Resolver;
import dev.tcpdial.Target;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The probe's stages for a caller outside the exporter (the CLI's {@code check --tls} and {@code
 * check --module}): the same TLS stage and the same prober, so a failure is named alike in {@code
 * /probe} and on the command line.
 */
public final class Stages {
  private Stages() {}

  /** {@link Tls#outcome()} of a handshake that ended well. */
  public static final String ESTABLISHED = TlsStage.ESTABLISHED;

  /**
   * How the TLS stage ended, as {@code probe_tls_outcome} names it.
   *
   * @param outcome {@code established}, {@code not_configured}, {@code not_reached} or a failure
   *     ({@code certificate_expired}, {@code certificate_not_yet_valid}, {@code
   *     unknown_authority}, {@code hostname_mismatch}, {@code certificate_invalid}, {@code
   *     protocol_version}, {@code handshake_alert}, {@code handshake_failed}, {@code not_tls},
   *     {@code reset}, {@code closed}, {@code timeout}, {@code cancelled}, {@code config_error},
   *     {@code error})
   * @param alert the TLS alert's name for {@code handshake_alert}/{@code handshake_failed}, else
   *     empty
   * @param version the negotiated version as blackbox_exporter labels it ({@code TLS 1.3}), or
   *     null when none was
   * @param chain the certificates the server sent, leaf first; empty when none came (also known
   *     when a certificate check failed)
   * @param detail one line for people, never for matching; may be null
   */
  public record Tls(String outcome, String alert, String version, List<X509Certificate> chain,
      String detail) {
    /** Copies the chain. */
    public Tls {
      chain = List.copyOf(chain);
    }

    /**
     * Whether the stage ran and failed.
     *
     * @return false for {@code established}, {@code not_configured} and {@code not_reached}
     */
    public boolean failed() {
      return !outcome.equals(TlsStage.ESTABLISHED) && !outcome.equals(TlsStage.NOT_CONFIGURED)
          && !outcome.equals(TlsStage.NOT_REACHED);
    }

    /**
     * The soonest expiry among the certificates the server sent, which blackbox_exporter reports
     * as {@code probe_ssl_earliest_cert_expiry}.
     *
     * @return the instant, or empty when no certificate came
     */
    public Optional<Instant> earliestExpiry() {
      return chain.stream().map(c -> c.getNotAfter().toInstant()).min(Instant::compareTo);
    }
  }

  /**
   * How the {@code query_response} dialogue ended, as {@code probe_query_outcome} names it.
   *
   * @param outcome {@code completed}, {@code not_configured}, {@code not_reached} or a failure
   *     ({@code expect_mismatch}, {@code bytes_mismatch}, {@code closed_by_peer}, {@code reset},
   *     {@code timeout}, {@code line_too_long}, {@code starttls_failed}, {@code tls_error},
   *     {@code cancelled}, {@code error})
   * @param step the step (1 for the first) it ended at; 0 when it completed or did not run
   * @param transcript what was sent, read and matched, one line each
   */
  public record Query(String outcome, int step, List<String> transcript) {
    /** No dialogue: {@code not_configured}. */
    public static final Query NONE = new Query(Dialogue.NOT_CONFIGURED, 0, List.of());

    /** Copies the transcript. */
    public Query {
      transcript = List.copyOf(transcript);
    }

    /**
     * Whether the dialogue ran and failed.
     *
     * @return false for {@code completed}, {@code not_configured} and {@code not_reached}
     */
    public boolean failed() {
      return !outcome.equals(Dialogue.COMPLETED) && !outcome.equals(Dialogue.NOT_CONFIGURED)
          && !outcome.equals(Dialogue.NOT_REACHED);
    }
  }

  /**
   * One probe of a module, stage by stage.
   *
   * @param module the module's name
   * @param connect the resolve and connect stages (every attempt); the target is the one asked
   * @param tls the TLS stage (the handshake of a {@code starttls} step too)
   * @param query the dialogue
   * @param success {@code probe_success}: the module's expectation held and no stage failed
   * @param deadline the probe's deadline
   * @param duration the whole probe, resolution to the last byte
   */
  public record Result(String module, DialResult connect, Tls tls, Query query, boolean success,
      Duration deadline, Duration duration) {}

  /**
   * Reads the files of {@code c} as a probe would (CA, client certificate and key), without
   * dialing: a file that cannot be used is found before any target is.
   *
   * @param c a {@code tls_config}
   * @throws IOException with one line naming the file and why
   */
  public static void checkFiles(TlsConfig c) throws IOException {
    TlsStage.material(c);
  }

  /**
   * Starts loading the JDK's TLS client on a thread of its own and returns at once, so that the
   * first handshake takes as long as the next ones. Optional.
   */
  public static void warmUp() {
    Thread.ofVirtual().name("tcpdial-tls-warm-up").start(TlsStage::warmUp);
  }

  /**
   * Runs the TLS stage over {@code ch}, a connected channel, which is closed afterwards.
   *
   * @param ch the connection; owned by this call from now on
   * @param deadline when the handshake must be over, a {@link System#nanoTime} value
   * @param c the {@code tls_config}
   * @param host the name to send (SNI) and to check, unless {@code c} names a {@code
   *     server_name}: the target's host, as blackbox_exporter takes it
   * @return how it ended
   */
  public static Tls tls(SocketChannel ch, long deadline, TlsConfig c, String host) {
    TlsStage.Material m;
    try {
      m = TlsStage.material(c);
    } catch (IOException e) {
      close(ch);
      return view(TlsStage.Result.of(TlsStage.CONFIG_ERROR, e.getMessage()));
    }
    try (Wire w = new Wire(ch, deadline)) {
      return view(TlsStage.handshake(w, m, host));
    } catch (IOException e) {
      close(ch);
      return view(TlsStage.Result.of(TlsStage.ERROR, Config.oneLine(String.valueOf(
          e.getMessage()))));
    }
  }

  private static void close(SocketChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // nothing to keep
    }
  }

  static Tls view(TlsStage.Result r) {
    return new Tls(r.outcome(), r.alert(), r.version(), r.peer(), r.detail());
  }

  static Query view(Dialogue.Result q) {
    return new Query(q.outcome(), q.step(), q.transcript());
  }

  /**
   * Opens {@code file} and takes its module {@code name}, checked as {@code tcpdial serve} checks
   * them at start.
   *
   * @param file a configuration file (a blackbox.yml works as it is)
   * @param name a served {@code prober: tcp} module of it
   * @param resolver resolves targets' names
   * @return a runner of that module
   * @throws Config.Invalid for a file that cannot be read or used, an unknown module or one not
   *     served (one line, with the reason)
   */
  public static ModuleRunner module(Path file, String name, Resolver resolver)
      throws Config.Invalid {
    Config c = Config.load(file);
    Module m = c.modules().get(name);
    if (m == null) {
      String why = c.notServed().get(name);
      throw new Config.Invalid(why != null ? file + ": module '" + name + "' is not served: " + why
          : file + ": no module '" + name + "' (served: " + String.join(", ", c.modules().keySet())
              + ")");
    }
    return new ModuleRunner(m, resolver);
  }

  /** Runs one module of a configuration, as {@code /probe} runs it; closes its dialers. */
  public static final class ModuleRunner implements AutoCloseable {
    private final Module module;
    private final Prober prober;

    ModuleRunner(Module module, Resolver resolver) {
      this.module = module;
      this.prober = new Prober(resolver);
    }

    /**
     * The module's {@code timeout}.
     *
     * @return the timeout; zero when the module has none
     */
    public Duration timeout() {
      return module.timeout();
    }

    /**
     * The module's {@code tls_config} ({@link TlsConfig#DEFAULT} when it has none).
     *
     * @return the configuration
     */
    public TlsConfig tlsConfig() {
      return module.tlsConfig();
    }

    /**
     * The module's {@code tcpdial.expect}: what {@code probe_success} holds for.
     *
     * @return the expected port state, or null when the module expects the default (open)
     */
    public dev.tcpdial.PortState expectation() {
      return module.expect();
    }

    /**
     * Whether the module does TLS, from the start ({@code tls: true}) or after a {@code
     * starttls} step.
     *
     * @return true when a handshake is part of the probe
     */
    public boolean usesTls() {
      return module.tls() || module.queryResponse().stream().anyMatch(QueryStep::startTls);
    }

    /**
     * The probe's deadline for a caller that asks for {@code asked}: the module's timeout capped
     * by {@code asked}, as the exporter caps it by the scrape timeout.
     *
     * @param asked the caller's limit, or null for none
     * @param otherwise the deadline when neither the module nor the caller sets one
     * @return the deadline, at least 1 ms
     */
    public Duration deadline(Duration asked, Duration otherwise) {
      Duration t = module.timeout();
      Duration d = t.isZero() ? (asked != null ? asked : otherwise)
          : asked != null && asked.compareTo(t) < 0 ? asked : t;
      return d.compareTo(Duration.ofMillis(1)) < 0 ? Duration.ofMillis(1) : d;
    }

    /**
     * Starts now what the module's probes within {@code deadline} use (the dialer and its event
     * loop), so that the first probe's timings are a probe's, not a start's.
     *
     * @param deadline the deadline the probes will have
     * @return this runner
     */
    public ModuleRunner prestart(Duration deadline) {
      prober.prestart(module, deadline);
      return this;
    }

    /**
     * Probes {@code target} once, every stage, within {@code deadline}.
     *
     * @param target what to probe
     * @param deadline the whole probe's deadline
     * @return how each stage ended
     */
    public Result probe(Target target, Duration deadline) {
      Prober.Result r;
      try {
        r = prober.probe(target, module, deadline, Cidrs.ANY);
      } catch (Prober.Denied e) {
        throw new IllegalStateException("no --allow here", e); // Cidrs.ANY denies nothing
      }
      return new Result(module.name(), r.dial(), view(r.tls()), view(r.query()), r.success(),
          r.deadline(), r.duration());
    }

    @Override
    public void close() {
      prober.close();
    }
  }
}
