package dev.tcpdial;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A TCP connect path trace to one address ({@link Dialer#trace}): where the SYN of a connect goes
 * and where it dies, found the way traceroute finds it, with the real SYN to the real port from an
 * ordinary socket and no privilege. For TTL 1, 2, ... ({@code IP_TTL}, {@code IPV6_UNICAST_HOPS})
 * a connect is started and who answers is recorded: a router's ICMP time-exceeded (read from the
 * socket's error queue, {@link IcmpReport}), the target's SYN-ACK or reset, another ICMP error (a
 * firewall, a missing route), or nothing within the hop's timeout. The trace stops when the target
 * answers, when something refuses the SYN, or when it is clear the SYN is dropped; the {@link
 * Verdict} says which in one line.
 *
 * <p><b>One flow.</b> Every probe of a trace has the same source address, source port,
 * destination address and port (Paris traceroute's rule), so routers that balance per flow over
 * equal-cost paths send every probe the same way, and the hops listed are one path, not a mix of
 * several. The first probe's socket binds a source port (the kernel picks a free one, or {@link
 * Options#sourcePort()}); every later probe binds that address and port again, with {@code
 * SO_REUSEADDR}, or takes the previous probe's socket back: a failed connect answered by a second
 * {@code connect} leaves it disconnected with its port kept, and the next probe only changes its
 * TTL. No probe leaves a socket behind that would hold the four-tuple: a probe that
 * failed or stayed silent was never connected ({@code SYN_SENT} goes straight to closed), and one
 * that connected is closed with {@code SO_LINGER} 0 (a reset, no {@code TIME_WAIT}). The kernel
 * allows one socket per four-tuple at a time ({@code connect} fails with {@code EADDRNOTAVAIL}
 * while another has it), so the probes of one trace go out one after another: a probe that is
 * answered takes one round trip, a silent one the whole {@link Options#hopTimeout()}, and a probe
 * that stays silent ends its hop (so a silent hop costs one timeout). After the first silent hop,
 * one probe with the largest TTL asks whether the target answers at all: if it does, the silent
 * hops are routers that send no time-exceeded and the walk goes on; if not, the SYN dies
 * somewhere, and {@link Options#gapLimit()} silent hops in a row end the walk: the SYN is dropped
 * after the last hop that answered. A trace of 30 hops with one silent router therefore takes
 * about one hop timeout plus the round trips; a dropped SYN about {@code gapLimit + 1} timeouts.
 * A router that answers again a few hops later means a routing loop, and the walk ends there.
 * Traces of several addresses ({@link Dialer#traceAll}) run side by side.
 *
 * <p><b>SYNs.</b> A trace sends at most {@code maxHops * probesPerHop} SYNs, paced to at most
 * {@link Options#rate()} a second. A probe's socket has {@code TCP_SYNCNT} 1: the kernel
 * retransmits an unanswered SYN once, after its initial retransmission timeout (1 s), so a probe
 * that waits a second or more counts as two.
 *
 * <p><b>Silence and rate limits.</b> Routers limit the ICMP errors they send (Linux: {@code
 * net.ipv4.icmp_ratelimit}, 1 a second per destination after a burst of 6), and some send no
 * time-exceeded at all. A probe with no answer is {@link Answer#SILENT}, counted as lost, and the
 * trace goes on past a silent hop.
 *
 * @param target what was traced
 * @param remote the address traced; {@code null} when none (resolution failed)
 * @param local the flow's source address and port, as the first probe's socket had them; {@code
 *     null} when no probe got that far
 * @param hops every hop probed, TTL {@link Options#firstHop()} first
 * @param reachability the probe with the largest TTL sent after the first silent hop to learn
 *     whether the target answers at all, or {@code null} when none was needed
 * @param verdict what the trace found
 * @param elapsed from the start of the trace to its end, resolution included
 * @param detail one line on why a trace could not run or stopped early, else {@code null}
 */
public record Trace(Target target, InetSocketAddress remote, InetSocketAddress local,
    List<Hop> hops, Probe reachability, Verdict verdict, Duration elapsed, String detail) {

  /** Checks the components and copies the list. */
  public Trace {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(verdict, "verdict");
    Objects.requireNonNull(elapsed, "elapsed");
    hops = List.copyOf(hops);
  }

  /**
   * The outcome a {@link Dialer#probe} of the traced address would most likely have given: the
   * verdict's ({@link Verdict#outcome()}).
   *
   * @return the final outcome
   */
  public Outcome outcome() {
    return verdict.outcome();
  }

  /**
   * Every probe, hop by hop, then the reachability probe if there was one.
   *
   * @return the probes in the order they were sent
   */
  public List<Probe> probes() {
    List<Probe> all = new ArrayList<>();
    hops.forEach(h -> all.addAll(h.probes()));
    if (reachability != null) {
      all.add(reachability);
    }
    return all;
  }

  /**
   * The last hop that answered, or {@code null} when none did.
   *
   * @return the last answering hop
   */
  public Hop lastAnswering() {
    for (int i = hops.size() - 1; i >= 0; i--) {
      if (!hops.get(i).silent()) {
        return hops.get(i);
      }
    }
    return null;
  }

  /** How a probe was answered. */
  public enum Answer {
    /** A router on the path: ICMP time-exceeded, the TTL ran out there. */
    TIME_EXCEEDED,
    /** The target: SYN-ACK, the connect completed. */
    CONNECTED,
    /** The target: a reset, nothing listens on the port. */
    RESET,
    /**
     * An ICMP error other than time-exceeded, from a router (a firewall's admin-prohibited, no
     * route) or from the target (port-unreachable).
     */
    UNREACHABLE,
    /** This host refused to send the SYN: a local route or rule, or its neighbour resolution. */
    LOCAL,
    /** Nothing within the hop's timeout. */
    SILENT,
    /** The probe could not be made: no local port, no descriptor; its outcome and errno say. */
    ERROR;

    private final String label = name().toLowerCase(Locale.ROOT);

    /**
     * The lower-case name used in JSON and CSV ({@code time_exceeded}).
     *
     * @return the label
     */
    public String label() {
      return label;
    }

    /**
     * True for the target's own answers: {@link #CONNECTED} and {@link #RESET}.
     *
     * @return whether the target answered
     */
    public boolean fromTarget() {
      return this == CONNECTED || this == RESET;
    }
  }

  /**
   * One probe: a connect with one TTL, and who answered it.
   *
   * @param ttl the TTL (hop limit) of its SYN
   * @param index 0 for the hop's first probe, then 1, 2, ...
   * @param answer how it was answered
   * @param from the address that answered: the router, the target, the sender of an ICMP error,
   *     this host's for {@link Answer#LOCAL} when known; {@code null} for {@link Answer#SILENT}
   * @param rtt from the SYN to the answer; for {@link Answer#SILENT} how long it waited
   * @param sent when its SYN was sent, counted from the start of the trace
   * @param outcome the connect's outcome, as a probe names it ({@link Outcome#HOST_UNREACHABLE}
   *     for a time-exceeded, {@link Outcome#TIMEOUT} for silence)
   * @param errno the connect's errno, or {@code null}
   * @param icmp who answered with an error ({@link IcmpReport}), or {@code null}
   */
  public record Probe(int ttl, int index, Answer answer, InetAddress from, Duration rtt,
      Duration sent, Outcome outcome, Errno errno, IcmpReport icmp) {

    /** Checks the components. */
    public Probe {
      Objects.requireNonNull(answer, "answer");
      Objects.requireNonNull(rtt, "rtt");
      Objects.requireNonNull(sent, "sent");
      Objects.requireNonNull(outcome, "outcome");
    }

    /**
     * True when someone answered (anything but {@link Answer#SILENT} and {@link Answer#ERROR}).
     *
     * @return whether the probe was answered
     */
    public boolean answered() {
      return answer != Answer.SILENT && answer != Answer.ERROR;
    }

    /**
     * What answered, in a word or two: {@code time-exceeded}, {@code SYN-ACK}, {@code RST}, the
     * ICMP error's name ({@code admin-prohibited}), {@code local}, {@code silent}, or the
     * outcome's label for an error.
     *
     * @return the word
     */
    public String what() {
      return switch (answer) {
        case TIME_EXCEEDED -> "time-exceeded";
        case CONNECTED -> "SYN-ACK";
        case RESET -> "RST";
        case UNREACHABLE -> icmp != null && icmp.hasType() ? icmp.name() : outcome.label();
        case LOCAL -> icmp != null && icmp.hasType() ? "local " + icmp.name() : "local";
        case SILENT -> "silent";
        case ERROR -> outcome.label();
      };
    }
  }

  /**
   * One TTL and its probes.
   *
   * @param ttl the TTL (hop number)
   * @param probes its probes, in the order they were sent
   */
  public record Hop(int ttl, List<Probe> probes) {

    /** Copies the list. */
    public Hop {
      probes = List.copyOf(probes);
    }

    /**
     * Every address that answered at this hop, the most frequent first (more than one: the path
     * changed between probes, or several routers answer for one hop).
     *
     * @return the answering addresses
     */
    public List<InetAddress> addresses() {
      Map<InetAddress, Integer> count = new LinkedHashMap<>();
      for (Probe p : probes) {
        if (p.answered() && p.from() != null) {
          count.merge(p.from(), 1, Integer::sum);
        }
      }
      List<InetAddress> out = new ArrayList<>(count.keySet());
      out.sort(Comparator.comparing((InetAddress a) -> -count.get(a)));
      return out;
    }

    /**
     * The probes sent.
     *
     * @return how many probes this hop sent
     */
    public int sent() {
      return probes.size();
    }

    /**
     * The probes answered.
     *
     * @return how many were answered
     */
    public int answered() {
      return (int) probes.stream().filter(Probe::answered).count();
    }

    /**
     * True when no probe of this hop was answered.
     *
     * @return whether the hop is silent
     */
    public boolean silent() {
      return answered() == 0;
    }

    /**
     * The share of probes not answered, 0 to 1.
     *
     * @return the loss
     */
    public double loss() {
      return probes.isEmpty() ? 0 : 1 - (double) answered() / probes.size();
    }

    /**
     * The answered probes' round-trip times, in the order sent.
     *
     * @return the round-trip times
     */
    public List<Duration> rtts() {
      return probes.stream().filter(Probe::answered).map(Probe::rtt).toList();
    }

    /**
     * The shortest round trip, or {@code null} when nothing answered.
     *
     * @return the best round-trip time
     */
    public Duration best() {
      return rtts().stream().min(Comparator.naturalOrder()).orElse(null);
    }

    /**
     * The longest round trip, or {@code null} when nothing answered.
     *
     * @return the worst round-trip time
     */
    public Duration worst() {
      return rtts().stream().max(Comparator.naturalOrder()).orElse(null);
    }

    /**
     * The last answered probe's round trip, or {@code null}.
     *
     * @return the last round-trip time
     */
    public Duration last() {
      List<Duration> r = rtts();
      return r.isEmpty() ? null : r.get(r.size() - 1);
    }

    /**
     * The mean round trip, or {@code null} when nothing answered.
     *
     * @return the average round-trip time
     */
    public Duration average() {
      List<Duration> r = rtts();
      if (r.isEmpty()) {
        return null;
      }
      return Duration.ofNanos(Math.round(r.stream().mapToLong(Duration::toNanos).average()
          .orElse(0)));
    }

    /**
     * The round trips' standard deviation (population), or {@code null} when nothing answered.
     *
     * @return the standard deviation
     */
    public Duration stdev() {
      List<Duration> r = rtts();
      if (r.isEmpty()) {
        return null;
      }
      double mean = r.stream().mapToLong(Duration::toNanos).average().orElse(0);
      double var = r.stream().mapToDouble(d -> Math.pow(d.toNanos() - mean, 2)).sum() / r.size();
      return Duration.ofNanos(Math.round(Math.sqrt(var)));
    }
  }

  /**
   * What a trace found, and the outcome a probe of the address would give ({@link #outcome()}: the
   * CLI's exit code follows it, as {@code check}'s does).
   *
   * @param kind what happened to the SYN
   * @param hop the hop it names: the target's ({@link Kind#REACHED}), the last that answered
   *     ({@link Kind#DROPPED}, {@link Kind#INCOMPLETE}; 0 when none did), the refusing node's
   *     ({@link Kind#REFUSED}); 0 for {@link Kind#LOCAL} and {@link Kind#NOT_TRACED}
   * @param address that hop's address, or {@code null}
   * @param rtt that hop's best round trip, or {@code null}
   * @param outcome the outcome a probe would give: {@link Outcome#CONNECTED} or {@link
   *     Outcome#REFUSED} when reached, {@link Outcome#TIMEOUT} when dropped, the ICMP error's
   *     ({@link Outcome#HOST_UNREACHABLE}, {@link Outcome#PROHIBITED}, ...) when refused
   * @param errno its errno, or {@code null}
   * @param icmp the error that refused it, or {@code null}
   */
  public record Verdict(Kind kind, int hop, InetAddress address, Duration rtt, Outcome outcome,
      Errno errno, IcmpReport icmp) {

    /** Checks the components. */
    public Verdict {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(outcome, "outcome");
    }

    /** What happened to the SYN. */
    public enum Kind {
      /** The target answered: SYN-ACK, a reset, or an ICMP error of its own. */
      REACHED,
      /** Nothing answered past a hop, and a probe with the largest TTL got no answer either. */
      DROPPED,
      /** A node on the path answered with an ICMP error: a firewall, a missing route. */
      REFUSED,
      /** This host did not send the SYN: a local route or rule. */
      LOCAL,
      /**
       * The SYN goes round in a routing loop: a router answered time-exceeded again at a later
       * hop; {@link #hop()} is where it first answered.
       */
      LOOP,
      /**
       * No verdict: the largest TTL ran out before the target answered (the path is longer), or
       * the trace was stopped early (cancelled: {@link Verdict#outcome()} {@link
       * Outcome#CANCELLED}; the hops so far are kept).
       */
      INCOMPLETE,
      /** No trace: the name did not resolve, or traces cannot run here ({@link #detail()}). */
      NOT_TRACED;

      private final String label = name().toLowerCase(Locale.ROOT);

      /**
       * The lower-case name used in JSON and CSV ({@code not_traced}).
       *
       * @return the label
       */
      public String label() {
        return label;
      }
    }

    /**
     * The verdict in one line: {@code reached 198.18.23.2 at hop 4: connected (SYN-ACK, 0.31
     * ms)}, {@code the SYN is dropped after hop 1 (198.18.20.1, 0.12 ms)}, {@code refused by hop
     * 3 (198.18.22.3, ICMP admin-prohibited)}.
     *
     * @return the line
     */
    public String line() {
      String at = address == null ? "" : dev.tcpdial.internal.Addresses.withoutZone(address);
      return switch (kind) {
        case REACHED -> "reached " + at + " at hop " + hop + ": " + outcome.label() + " ("
            + (icmp != null && icmp.hasType() ? "ICMP " + icmp.name()
                : outcome == Outcome.CONNECTED ? "SYN-ACK" : "RST")
            + (rtt != null ? ", " + ms(rtt) : "") + ")";
        case DROPPED -> hop == 0 ? "the SYN is dropped before the first hop answered"
            : "the SYN is dropped after hop " + hop + " (" + at + (rtt != null ? ", " + ms(rtt)
                : "") + ")";
        case REFUSED -> "refused by hop " + hop + " (" + at
            + (icmp != null && icmp.hasType() ? ", ICMP " + icmp.name() : "") + ")";
        case LOCAL -> "refused on this host before the SYN left (" + outcome.label()
            + (errno != null ? " " + errno.name() : "") + ": a local route or rule)";
        case LOOP -> "a routing loop from hop " + hop + " (" + at + " answers again further on)";
        case INCOMPLETE -> (outcome == Outcome.CANCELLED ? "stopped before a verdict"
            : "not reached within the largest TTL")
            + (hop > 0 ? " (last answer from hop " + hop + ", " + at + ")" : "");
        case NOT_TRACED -> "not traced: " + outcome.label();
      };
    }

    /** {@link #line()}. */
    @Override
    public String toString() {
      return line();
    }

    private static String ms(Duration d) {
      double v = d.toNanos() / 1e6;
      return String.format(Locale.ROOT, v < 10 ? "%.2f ms" : "%.1f ms", v);
    }
  }

  /**
   * How a trace probes. Immutable; change a copy with the {@code with} methods.
   *
   * @param maxHops the largest TTL, 1 to 255; default 30
   * @param probesPerHop probes per TTL ({@code -q}), 1 to 10; default 3
   * @param hopTimeout how long a probe waits for an answer; a probe that gets none ends its hop,
   *     so a silent hop costs one timeout; more than zero, at most 10 s; default 1 s
   * @param rate at most this many SYNs a second, 0 for no pacing (default): the probes of one
   *     trace go out one after another anyway
   * @param firstHop the first TTL, 1 to {@code maxHops}; default 1
   * @param sourcePort the flow's source port, 0 (default) for one the kernel picks
   * @param gapLimit once a probe with the largest TTL went unanswered (the SYN dies somewhere),
   *     this many silent hops in a row end the trace: the SYN is dropped after the last hop that
   *     answered; 1 to 255, default 2 (1: stop at the first silent hop, which cannot tell a router
   *     that never answers from the end of the path)
   */
  public record Options(int maxHops, int probesPerHop, Duration hopTimeout, double rate,
      int firstHop, int sourcePort, int gapLimit) {

    /**
     * 30 hops, 3 probes each, 1 s per hop, no pacing, from TTL 1, a source port the kernel picks,
     * a gap of 2 silent hops.
     */
    public static final Options DEFAULT = new Options(30, 3, Duration.ofSeconds(1), 0, 1, 0, 2);

    /** Checks the options. */
    public Options {
      Objects.requireNonNull(hopTimeout, "hopTimeout");
      if (maxHops < 1 || maxHops > 255) {
        throw new IllegalArgumentException("maxHops must be 1 to 255: " + maxHops);
      }
      if (probesPerHop < 1 || probesPerHop > 10) {
        throw new IllegalArgumentException("probesPerHop must be 1 to 10: " + probesPerHop);
      }
      if (hopTimeout.isNegative() || hopTimeout.isZero()
          || hopTimeout.compareTo(Duration.ofSeconds(10)) > 0) {
        throw new IllegalArgumentException("hopTimeout must be more than 0 and at most 10 s: "
            + hopTimeout);
      }
      if (!(rate >= 0) || Double.isInfinite(rate)) {
        throw new IllegalArgumentException("rate must be 0 (no pacing) or more: " + rate);
      }
      if (firstHop < 1 || firstHop > maxHops) {
        throw new IllegalArgumentException("firstHop must be 1 to maxHops (" + maxHops + "): "
            + firstHop);
      }
      if (sourcePort < 0 || sourcePort > 65535) {
        throw new IllegalArgumentException("sourcePort must be 0 to 65535: " + sourcePort);
      }
      if (gapLimit < 1 || gapLimit > 255) {
        throw new IllegalArgumentException("gapLimit must be 1 to 255: " + gapLimit);
      }
    }

    /**
     * These options with another {@link #maxHops()}.
     *
     * @param n the largest TTL, 1 to 255
     * @return the new options
     */
    public Options withMaxHops(int n) {
      return new Options(n, probesPerHop, hopTimeout, rate, Math.min(firstHop, n), sourcePort,
          gapLimit);
    }

    /**
     * These options with another {@link #probesPerHop()}.
     *
     * @param n probes per TTL, 1 to 10
     * @return the new options
     */
    public Options withProbesPerHop(int n) {
      return new Options(maxHops, n, hopTimeout, rate, firstHop, sourcePort, gapLimit);
    }

    /**
     * These options with another {@link #hopTimeout()}.
     *
     * @param d how long a probe waits, more than 0, at most 10 s
     * @return the new options
     */
    public Options withHopTimeout(Duration d) {
      return new Options(maxHops, probesPerHop, d, rate, firstHop, sourcePort, gapLimit);
    }

    /**
     * These options with another {@link #rate()}.
     *
     * @param perSecond SYNs a second at most, 0 for no pacing
     * @return the new options
     */
    public Options withRate(double perSecond) {
      return new Options(maxHops, probesPerHop, hopTimeout, perSecond, firstHop, sourcePort,
          gapLimit);
    }

    /**
     * These options with another {@link #firstHop()}.
     *
     * @param ttl the first TTL, 1 to {@link #maxHops()}
     * @return the new options
     */
    public Options withFirstHop(int ttl) {
      return new Options(maxHops, probesPerHop, hopTimeout, rate, ttl, sourcePort, gapLimit);
    }

    /**
     * These options with another {@link #sourcePort()}.
     *
     * @param port the flow's source port, 0 for one the kernel picks
     * @return the new options
     */
    public Options withSourcePort(int port) {
      return new Options(maxHops, probesPerHop, hopTimeout, rate, firstHop, port, gapLimit);
    }

    /**
     * These options with another {@link #gapLimit()}.
     *
     * @param hops silent hops in a row that end a trace whose target does not answer, 1 to 255
     * @return the new options
     */
    public Options withGapLimit(int hops) {
      return new Options(maxHops, probesPerHop, hopTimeout, rate, firstHop, sourcePort, hops);
    }

    /**
     * The most SYNs a trace with these options sends: {@code maxHops * probesPerHop}.
     *
     * @return the SYN budget
     */
    public int synBudget() {
      return maxHops * probesPerHop;
    }
  }
}
