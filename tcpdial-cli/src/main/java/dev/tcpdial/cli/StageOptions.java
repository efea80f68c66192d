package dev.tcpdial.cli;

import dev.tcpdial.exporter.TlsConfig;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code check}'s stages after the connect: {@code --tls} (a handshake, as a blackbox_exporter
 * module with {@code tls: true} does it) and {@code --module} (every stage of a served module of
 * a configuration file, as {@code tcpdial serve}'s {@code /probe} runs it).
 */
final class StageOptions {
  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(names = "--tls",
      description = "After the connect, a TLS handshake with Go's checks, as blackbox_exporter's"
          + " tls: true (TLS 1.2 or newer; the certificate's validity, then the name, then the"
          + " chain). Prints the version and the days until the earliest certificate the server"
          + " sent expires; a failure is named as tcpdial serve's probe_tls_outcome names it"
          + " (certificate_expired, unknown_authority, hostname_mismatch, protocol_version,"
          + " handshake_alert, not_tls, reset, timeout, ...) and exits 11. The handshake may take"
          + " --timeout (default 5s), within --deadline.")
  boolean tls;

  @Option(names = "--sni", paramLabel = "NAME",
      description = "With --tls: the name sent in SNI and checked against the certificate."
          + " Default: the target's host (an IP address is checked against the certificate's IP"
          + " addresses, and sends no SNI).")
  String sni;

  @Option(names = "--ca-file", paramLabel = "FILE",
      description = "With --tls: a PEM file of the CA certificates to trust. Default: the JDK's"
          + " trust store.")
  Path caFile;

  @Option(names = "--insecure",
      description = "With --tls: accept any certificate for any name (the handshake's own"
          + " failures are still named).")
  boolean insecure;

  @Option(names = "--module", paramLabel = "NAME",
      description = "Runs the prober: tcp module NAME of --config once for each target, every"
          + " stage (resolve, connect, TLS, query_response) as tcpdial serve's /probe runs it, and"
          + " prints how each ended and probe_success. Exits 11 when TLS failed, 12 when the"
          + " dialogue failed. The module sets how to dial (tcpdial: section); its timeout is the"
          + " probe's deadline (without one 5s), which --deadline or --timeout may shorten.")
  String module;

  @Option(names = "--config", paramLabel = "FILE",
      description = "With --module: the configuration file (a blackbox.yml works as it is),"
          + " checked as tcpdial serve checks it at start.")
  Path config;

  /** Options of check that a module sets itself. */
  private static final List<String> SET_BY_MODULE = List.of("--mode", "--retries", "-4", "-6",
      "--source", "--attempt-delay", "--syn-retries", "--engine");

  /** Whether a stage after the connect was asked for. */
  boolean active() {
    return tls || module != null;
  }

  /**
   * Refuses combinations that cannot mean anything, in one line each.
   *
   * @throws ParameterException for a usage error
   */
  void check() {
    if (!tls) {
      for (String o : List.of("--sni", "--ca-file", "--insecure")) {
        if (given(o)) {
          throw usage(o + " needs --tls");
        }
      }
    }
    if (given("--config") && module == null) {
      throw usage("--config needs --module NAME");
    }
    if (module == null) {
      if (tls && given("--mode")) {
        throw usage("--tls connects one target after another on threads of its own; --mode does"
            + " not apply");
      }
      String engine = given("--engine") ? spec.commandLine().getParseResult()
          .matchedOption("--engine").stringValues().getFirst() : "auto";
      if (tls && !List.of("auto", "jdk").contains(engine.toLowerCase(java.util.Locale.ROOT))) {
        throw usage("--tls needs the connection itself, which only the jdk engine hands over;"
            + " --engine " + engine + " does not apply");
      }
      return;
    }
    if (config == null) {
      throw usage("--module needs --config FILE");
    }
    if (tls) {
      throw usage("--module takes TLS from the module (tls, tls_config); --tls does not combine"
          + " with it");
    }
    for (String o : SET_BY_MODULE) {
      if (given(o)) {
        throw usage(o + " does not apply with --module: the module sets how to dial (its tcp:"
            + " and tcpdial: sections)");
      }
    }
    if (module.isBlank()) {
      throw usage("--module needs a module's name");
    }
  }

  /** The {@code tls_config} that {@code --sni}, {@code --ca-file} and {@code --insecure} make. */
  TlsConfig tlsConfig() {
    if (sni != null && sni.isBlank()) {
      throw usage("--sni needs a name");
    }
    return new TlsConfig(null, caFile, null, null, null, null, null, null, null, sni, insecure,
        null, null);
  }

  private boolean given(String option) {
    return spec.commandLine().getParseResult().hasMatchedOption(option);
  }

  private ParameterException usage(String line) {
    return new ParameterException(spec.commandLine(), line);
  }
}
