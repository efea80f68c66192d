package dev.tcpdial.cli.targets;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tcpdial.PortState;
import dev.tcpdial.cli.CliFuzzChecks;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine.TypeConversionException;

/**
 * The option converters on any text: a value in the documented range, or a one-line {@link
 * TypeConversionException} (picocli prints it, exit code 2); never another exception, never a hang.
 */
class ConvertersFuzzTest {

  @FuzzTest
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void duration(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    Duration d;
    try {
      d = new Converters.DurationConverter().convert(text);
    } catch (TypeConversionException e) {
      CliFuzzChecks.oneLineError(e, text);
      return;
    }
    assertThat(d).isBetween(Duration.ZERO, Duration.ofHours(24));
    // what a duration prints in nanoseconds-free units parses back to itself
    if (d.toNanosPart() % 1000 == 0) {
      assertThat(Converters.parseDuration(d.toNanos() / 1000 + "us")).isEqualTo(d);
    }
  }

  @FuzzTest
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void rate(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    double r;
    try {
      r = new Converters.RateConverter().convert(text);
    } catch (TypeConversionException e) {
      CliFuzzChecks.oneLineError(e, text);
      return;
    }
    assertThat(r).isPositive().isFinite();
  }

  @FuzzTest
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void shard(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    Converters.Shard s;
    try {
      s = new Converters.ShardConverter().convert(text);
    } catch (TypeConversionException e) {
      CliFuzzChecks.oneLineError(e, text);
      return;
    }
    assertThat(s.index()).isBetween(1, s.count());
    assertThat(new Converters.ShardConverter().convert(s.toString())).isEqualTo(s);
  }

  @FuzzTest
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void expectationAndTarget(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    try {
      PortState e = new Converters.ExpectationConverter().convert(text);
      assertThat(PortState.parse(e.label())).isEqualTo(e);
    } catch (TypeConversionException e) {
      CliFuzzChecks.oneLineError(e, text);
    }
    try {
      dev.tcpdial.Target t = new Converters.TargetConverter().convert(text);
      assertThat(dev.tcpdial.Target.parse(t.toString())).isEqualTo(t);
    } catch (TypeConversionException e) {
      CliFuzzChecks.oneLineError(e, text);
    }
  }
}
