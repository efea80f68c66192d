package dev.tcpdial.cli.targets;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tcpdial.cli.CliFuzzChecks;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

/**
 * Found by the fuzz property "a one-line error": option values with a line break of their own are
 * quoted unescaped, so the error spans lines. Expected: the quoted value escaped.
 */
class LineBreakCliErrorsTest {
  @Test
  void optionValuesWithALineBreakGetOneLineErrors() {
    assertThatThrownBy(() -> Converters.parseDuration("1\nx"))
        .isInstanceOf(TypeConversionException.class)
        .satisfies(e -> CliFuzzChecks.oneLineError(e, ""));
    assertThatThrownBy(() -> new Converters.ShardConverter().convert("1\n/2"))
        .satisfies(e -> CliFuzzChecks.oneLineError(e, ""));
    assertThatThrownBy(() -> TargetList.parsePorts("80,\n81x"))
        .satisfies(e -> CliFuzzChecks.oneLineError(e, ""));
  }
}
