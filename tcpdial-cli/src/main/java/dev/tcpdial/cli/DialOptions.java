package dev.tcpdial.cli;

import dev.tcpdial.Dialer;
import dev.tcpdial.Engine;
import dev.tcpdial.Family;
import dev.tcpdial.Mode;
import dev.tcpdial.RetryPolicy;
import dev.tcpdial.Target;
import dev.tcpdial.cli.targets.Converters;
import dev.tcpdial.cli.targets.TargetList;
import java.net.InetAddress;
import java.time.Duration;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** How to dial: shared by check, ping and scan. */
public final class DialOptions {
  /** Options at their defaults, before picocli sets them. */
  public DialOptions() {}

  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(names = {"-t", "--timeout"}, paramLabel = "DURATION",
      converter = Converters.DurationConverter.class,
      description = "How long one attempt may take (250ms, 2s, 1.5s, 1m). Default: 5s (scan: 1.5s).")
  Duration timeout;

  @Option(names = "--deadline", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "How long the whole dial may take, every address and retry included. Default: none.")
  Duration deadline;

  @Option(names = {"-r", "--retries"}, paramLabel = "N", defaultValue = "0",
      description = "Retries after every address failed with a timeout, unreachable or local"
          + " problem. Default: ${DEFAULT-VALUE}.")
  int retries;

  /** {@code -4} or {@code -6}, one at most; shared by every command that dials. */
  static final class FamilyGroup {
    @Option(names = "-4", description = "IPv4 only.")
    boolean v4;

    @Option(names = "-6", description = "IPv6 only.")
    boolean v6;

    /** The family {@code g} asks for ({@link Family#ANY} when neither option was given). */
    static Family of(FamilyGroup g) {
      return g == null ? Family.ANY : g.v4 ? Family.IPV4 : Family.IPV6;
    }
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  FamilyGroup family;

  @Option(names = {"-s", "--source"}, paramLabel = "ADDR",
      description = "Local address to connect from (an IP address of this machine).")
  String source;

  @Option(names = "--attempt-delay", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "Happy Eyeballs delay before the next address is tried beside a slow one."
          + " Default: 250ms; 0 tries addresses one after another.")
  Duration attemptDelay;

  @Option(names = "--syn-retries", paramLabel = "N", defaultValue = "0",
      description = "SYN retransmissions per attempt (TCP_SYNCNT, 1-127): the kernel gives up with"
          + " ETIMEDOUT after ~3 s for 1, ~7 s for 2. Default: the system's setting.")
  int synRetries;

  /** The modes as {@code --help} writes them, for shell completion. */
  static final class ModeNames extends java.util.ArrayList<String> {
    private static final long serialVersionUID = 1L;

    ModeNames() {
      for (Mode m : Mode.values()) {
        add(m.label());
      }
    }
  }

  /** The engines as {@code --help} writes them, for shell completion. */
  static final class EngineNames extends java.util.ArrayList<String> {
    private static final long serialVersionUID = 1L;

    EngineNames() {
      for (Engine e : Engine.values()) {
        add(e.label());
      }
    }
  }

  @Option(names = "--engine", paramLabel = "auto|uring|epoll|native|jdk",
      completionCandidates = EngineNames.class,
      description = "Engine of the probes: uring (io_uring), epoll (Linux system calls), jdk,"
          + " native (uring, else epoll), auto (the best available: uring, else epoll, else jdk;"
          + " the default). `check -v` says which one runs and why.")
  Engine engine;

  /** A builder with these options, {@code mode} and {@code defaultTimeout} when none was given. */
  Dialer.Builder builder(Mode mode, Duration defaultTimeout) {
    Dialer.Builder b = Dialer.builder().mode(mode);
    try {
      b.connectTimeout(timeout != null ? timeout : defaultTimeout);
      if (deadline != null) {
        b.deadline(deadline);
      }
      if (attemptDelay != null) {
        b.attemptDelay(attemptDelay);
      }
      if (retries < 0 || retries > 100) {
        throw new IllegalArgumentException("--retries must be 0 to 100: " + retries);
      }
      if (retries > 0) {
        b.retry(RetryPolicy.retries(retries));
      }
      b.family(FamilyGroup.of(family));
      if (source != null) {
        b.localAddress(sourceAddress(source));
      }
      b.synRetries(synRetries);
      b.engine(engine);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    return b;
  }

  static InetAddress sourceAddress(String text) {
    Target t;
    try {
      t = new Target(text.strip(), 1);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--source '" + TargetList.shorten(text) + "' is not an IP address");
    }
    InetAddress a = t.literal().orElseThrow(
        () -> new IllegalArgumentException("--source '" + TargetList.shorten(text) + "' is not an IP address (no names)"));
    // Bind once here, no traffic: an address this machine does not have fails at once with
    // EADDRNOTAVAIL, instead of every connect failing after retries as a local problem.
    try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(
        a instanceof java.net.Inet6Address ? java.net.StandardProtocolFamily.INET6
            : java.net.StandardProtocolFamily.INET)) {
      ch.bind(new java.net.InetSocketAddress(a, 0));
    } catch (java.net.BindException e) {
      throw new IllegalArgumentException("--source '" + TargetList.shorten(text) + "' is not an address of this machine"
          + " (bind: " + e.getMessage() + ")");
    } catch (java.io.IOException | UnsupportedOperationException e) {
      // no such socket family here: the dialer's own checks say so
    }
    return a;
  }

  /** The family of -4/-6 ({@link Family#ANY} without either). */
  Family family() {
    return FamilyGroup.of(family);
  }

  /**
   * Refuses a literal target of the family that -4/-6 leaves out: a usage problem, not a failed
   * lookup.
   */
  void checkFamily(Target t) {
    java.util.Optional<InetAddress> a = t.literal();
    if (a.isPresent() && !family().allows(a.get())) {
      boolean v4 = a.get() instanceof java.net.Inet4Address;
      throw new ParameterException(spec.commandLine(), "'" + t + "' is an " + (v4 ? "IPv4" : "IPv6")
          + " address" + (v4 && t.host().indexOf(':') >= 0 ? " (IPv4-mapped, dialed over IPv4)" : "")
          + ", but " + (v4 ? "-6" : "-4") + " allows only " + (v4 ? "IPv6" : "IPv4"));
    }
  }

  /** The engine label for output before any result exists. */
  String engineLabel() {
    return engine == null ? "auto" : engine.label();
  }
}
