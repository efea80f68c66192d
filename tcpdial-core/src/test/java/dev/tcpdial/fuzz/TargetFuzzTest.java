package dev.tcpdial.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tcpdial.Target;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Target#parse} on any text: a target that prints back to itself, or an {@link
 * IllegalArgumentException} with a one-line reason; never another exception, never a hang.
 *
 * <p>Under {@code ./test} the committed inputs ({@code TargetFuzzTestInputs/}) run once each; with
 * {@code JAZZER_FUZZ=1} ({@code scripts/fuzz.sh}) Jazzer mutates them, the {@link Timeout} being
 * the limit per input.
 */
class TargetFuzzTest {

  @FuzzTest
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void parse(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    check(text, 0);
    check(text, 80);
    check(text, 65535);
  }

  static void check(String text, int defaultPort) {
    Target t;
    try {
      t = Target.parse(text, defaultPort);
    } catch (IllegalArgumentException e) {
      FuzzChecks.oneLineError(e, text, "bad target");
      return;
    }
    assertThat(t.port()).isBetween(1, 65535);
    assertThat(t.host()).isNotEmpty();
    // what it prints is what it parses back to, with or without a default port
    assertThat(Target.parse(t.toString())).isEqualTo(t);
    assertThat(Target.parse(t.toString(), 80)).isEqualTo(t);
    assertThat(new Target(t.host(), t.port())).isEqualTo(t);
    assertThat(t.literal().isPresent()).isEqualTo(t.isLiteral());
    if (t.isLiteral()) {
      // a literal's address is a literal of the same family: it prints and parses back
      Target again = Target.of(t.literal().orElseThrow(), t.port());
      assertThat(Target.parse(again.toString())).isEqualTo(again);
      assertThat(again.literal()).isEqualTo(t.literal());
    }
  }
}
