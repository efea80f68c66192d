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
        d.probe(new Target("::1", lo.refused().port()));
      }
      rec.stop();
      rec.dump(file);
      List<RecordedEvent> events = RecordingFile.readAllEvents(file);
      assertThat(events).filteredOn(e -> e.getEventType().getName().equals("tcpdial.Attempt"))
          .extracting(e -> e.getString("outcome") + "/" + e.getString("errno") + "/" + e.getString("reason"))
          .containsExactlyInAnyOrder("connected/null/first", "refused/ECONNREFUSED/first",
              "timeout/null/first", "refused/ECONNREFUSED/first");
      assertThat(events).filteredOn(e -> e.getEventType().getName().equals("tcpdial.Dial"))
          .extracting(e -> e.getString("mode") + " " + e.getInt("attempts"))
          .containsOnly("async 1").hasSize(4);
      // addresses as people write them: no leading '/', IPv6 short and in brackets
      assertThat(events).filteredOn(e -> e.getEventType().getName().equals("tcpdial.Attempt"))
          .extracting(e -> e.getString("remote"))
          .contains(lo.refused().toString(), "[::1]:" + lo.refused().port())
          .allSatisfy(r -> assertThat(r).doesNotStartWith("/").doesNotContain("0:0"));
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
