package dev.tcpdial.fuzz;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tcpdial.Target;
import org.junit.jupiter.api.Test;

/**
 * Found by the fuzz property "a one-line error": an input with a line break of its own is quoted
 * as it is, so the error spans lines (a target from a file cannot have one, an argument can:
 * {@code tcpdial check $'a\nb:80'}). Expected: the quoted input escaped ({@code \n}).
 */
class LineBreakErrorsTest {
  @Test
  void aTargetWithALineBreakGetsAOneLineError() {
    assertThatThrownBy(() -> Target.parse("a\nb:80"))
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> FuzzChecks.oneLineError(e, "", "bad target"));
  }
}
