package dev.tcpdial.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.Outcome;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Happy Eyeballs' rules over 20,000 random schedules (see {@link RaceChaos}): a failure names its
 * seed, which replays it exactly. {@code dev.tcpdial.fuzz.RaceFuzzTest} drives the same checks
 * from fuzz input.
 */
class RacePropertiesTest {
  static final int SCHEDULES = 20_000;

  @Test
  void rulesHoldOverRandomSchedules() {
    Map<Outcome, Integer> outcomes = new EnumMap<>(Outcome.class);
    for (long seed = 1; seed <= SCHEDULES; seed++) {
      RaceChaos chaos = new RaceChaos(RaceChaos.seeded(seed));
      Outcome o;
      try {
        o = chaos.run();
      } catch (AssertionError e) {
        throw new AssertionError("schedule seed " + seed + ": " + e.getMessage(), e);
      }
      outcomes.merge(o, 1, Integer::sum);
    }
    // the schedules reach every ending a dial can have
    assertThat(outcomes.keySet()).contains(Outcome.CONNECTED, Outcome.CANCELLED, Outcome.TIMEOUT,
        Outcome.REFUSED, Outcome.NETWORK_UNREACHABLE, Outcome.PROHIBITED);
  }
}
