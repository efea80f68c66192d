package dev.tcpdial.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tcpdial.internal.RaceChaos;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/** The race's rules ({@link RaceChaos}) over schedules chosen by the fuzzer. */
class RaceFuzzTest {

  @FuzzTest
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void schedule(FuzzedDataProvider data) {
    new RaceChaos(new RaceChaos.Choices() {
      @Override
      public int nextInt(int bound) {
        return data.consumeInt(0, bound - 1);
      }

      @Override
      public long nextLong(long bound) {
        return data.consumeLong(0, bound - 1);
      }
    }).run();
  }
}
