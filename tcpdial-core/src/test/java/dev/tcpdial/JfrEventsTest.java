package dev.tcpdial;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

/** Dials and attempts show up in a flight recording with their outcome and errno. */
class JfrEventsTest {
  @Test
  void dialsAndAttemptsAreRecorded() throws Exception {
    Path file = Files.createTempFile("tcpdial", ".jfr");
    try (Loopback lo = new Loopback(); Recording rec = new Recording()) {
      rec.enable("tcpdial.Dial");
      rec.enable("tcpdial.Attempt");
      rec.start();
      try (Dialer d = Dialer.builder().mode(Mode.ASYNC).connectTimeout(Duration.ofMillis(100)).build()) {
        d.probe(lo.ok());
        d.probe(lo.refused());
        d.probe(lo.silentTarget());
      }
      rec.stop();
      rec.dump(file);
      List<RecordedEvent> events = RecordingFile.readAllEvents(file);
      assertThat(events).filteredOn(e -> e.getEventType().getName().equals("tcpdial.Attempt"))
          .extracting(e -> e.getString("outcome") + "/" + e.getString("errno") + "/" + e.getString("reason"))
          .containsExactlyInAnyOrder("connected/null/first", "refused/ECONNREFUSED/first",
              "timeout/null/first");
      assertThat(events).filteredOn(e -> e.getEventType().getName().equals("tcpdial.Dial"))
          .extracting(e -> e.getString("mode") + " " + e.getInt("attempts"))
          .containsOnly("async 1").hasSize(3);
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
