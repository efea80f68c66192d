package dev.tcpdial.internal;

import dev.tcpdial.Attempt;
import dev.tcpdial.DialResult;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * Every dial and every attempt as JDK Flight Recorder events ({@code tcpdial.Dial}, {@code
 * tcpdial.Attempt}), committed when the dial ends; free when no recording asks for them. {@code
 * jfr print --events tcpdial.Attempt rec.jfr} shows them.
 */
final class JfrEvents {
  private JfrEvents() {}


  @Name("tcpdial.Dial")
  @Label("TCP Dial")
  @Category("tcpdial")
  @Description("A dial ended: its outcome, errno and how many attempts it took")
  @StackTrace(false)
  static final class DialEvent extends Event {
    @Label("Target") String target;
    @Label("Outcome") String outcome;
    @Label("Errno") String errno;
    @Label("Remote") String remote;
    @Label("Mode") String mode;
    @Label("Engine") String engine;
    @Label("Attempts") int attempts;
    @Label("ICMP") @Description("Who answered the deciding attempt: ICMP error name, local, unread")
    String icmp;
    @Label("ICMP Sender") @Description("The address of the node that sent the ICMP error")
    String icmpFrom;
    @Label("Elapsed") @Timespan long elapsed;
    @Label("Resolution") @Timespan long resolution;
  }

  @Name("tcpdial.Attempt")
  @Label("TCP Connect Attempt")
  @Category("tcpdial")
  @Description("One socket's connect to one address, with the reason it started")
  @StackTrace(false)
  static final class AttemptEvent extends Event {
    @Label("Target") String target;
    @Label("Index") int index;
    @Label("Remote") String remote;
    @Label("Local") String local;
    @Label("Outcome") String outcome;
    @Label("Errno") String errno;
    @Label("Reason") String reason;
    @Label("ICMP") @Description("Who answered: ICMP error name, local, unread") String icmp;
    @Label("ICMP Sender") @Description("The address of the node that sent the ICMP error")
    String icmpFrom;
    @Label("Start") @Timespan long start;
    @Label("Elapsed") @Timespan long elapsed;
  }

  /**
   * Commits the dial's events if a recording wants them. Until the JVM's flight recorder has been
   * started (by -XX:StartFlightRecording, jcmd JFR.start or the API) no event class is even
   * loaded: the first use of one initializes the recorder's metadata, tens of milliseconds of a
   * fresh JVM, on the thread that happens to finish the first dial.
   */
  static void record(DialResult r) {
    if (FlightRecorder.isInitialized()) {
      Recorded.record(r);
    }
  }

  // time-exceeded, admin-prohibited, ...; local, or unread, where no ICMP type applies
  static String icmpName(dev.tcpdial.IcmpReport r) {
    return r == null ? null : r.hasType() ? r.name() : r.origin().label();
  }

  static String icmpFrom(dev.tcpdial.IcmpReport r) {
    return r == null || r.from() == null ? null : r.fromText();
  }

  /** The event classes' side, loaded once a recorder exists. */
  private static final class Recorded {
    // Instances only asked whether their class is enabled (EventType.getEventType would load
    // the metadata of every event type).
    private static final DialEvent DIAL = new DialEvent();
    private static final AttemptEvent ATTEMPT = new AttemptEvent();

    static void record(DialResult r) {
      if (DIAL.isEnabled()) {
        DialEvent e = new DialEvent();
        e.target = r.target().toString();
        e.outcome = r.outcome().label();
        e.errno = r.errno() == null ? null : r.errno().name();
        e.remote = r.remote() == null ? null : Addresses.text(r.remote());
        e.mode = r.mode().label();
        e.engine = r.engine().label();
        e.attempts = r.attempts().size();
        e.icmp = icmpName(r.icmp());
        e.icmpFrom = icmpFrom(r.icmp());
        e.elapsed = r.elapsed().toNanos();
        e.resolution = r.resolution().toNanos();
        e.commit();
      }
      if (ATTEMPT.isEnabled()) {
        for (Attempt a : r.attempts()) {
          AttemptEvent e = new AttemptEvent();
          e.target = r.target().toString();
          e.index = a.index();
          e.remote = Addresses.text(a.remote());
          e.local = a.local() == null ? null : Addresses.text(a.local());
          e.outcome = a.outcome().label();
          e.errno = a.errno() == null ? null : a.errno().name();
          e.reason = a.reason().label();
          e.icmp = icmpName(a.icmp());
          e.icmpFrom = icmpFrom(a.icmp());
          e.start = a.start().toNanos();
          e.elapsed = a.elapsed().toNanos();
          e.commit();
        }
      }
    }
  }
}
