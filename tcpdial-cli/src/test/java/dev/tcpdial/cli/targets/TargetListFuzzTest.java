package dev.tcpdial.cli.targets;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tcpdial.PortState;
import dev.tcpdial.Target;
import dev.tcpdial.cli.CliFuzzChecks;
import dev.tcpdial.cli.process.UsageException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Timeout;

/**
 * The scan's target grammar on any text: hosts, CIDR blocks, {@code -p} port lists and ranges,
 * {@code =open|closed|filtered}, {@code #} comments, a target file line by line. Property: a list
 * whose every entry is a valid, distinct target that prints back to itself, split exactly by
 * shards, each bad line of a file told in one line and skipped, ended (when what no later line
 * can mend happens) by a one-line {@link UsageException}; or that error at once; never another
 * exception, never a hang.
 *
 * <p>An input is a target file; its first line, when it starts with {@code -p }, is the port list.
 */
class TargetListFuzzTest {
  /** Lists larger than this are counted, not walked entry by entry (a fuzz input must be fast). */
  private static final long WALK = 20_000;

  @FuzzTest
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void targetFile(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    String ports;
    byte[] file;
    if (text.startsWith("-p ")) {
      int nl = text.indexOf('\n');
      ports = nl < 0 ? text.substring(3) : text.substring(3, nl);
      file = (nl < 0 ? "" : text.substring(nl + 1)).getBytes(StandardCharsets.UTF_8);
    } else {
      ports = null;
      file = input; // the bytes as they are: a file need not be UTF-8
    }
    try {
      new TargetList(ports, null);
    } catch (UsageException e) {
      CliFuzzChecks.oneLineError(e, ports);
      return;
    }
    checkList(() -> {
      TargetList list = new TargetList(ports, null);
      list.addLines(LineSource.direct(new ByteArrayInputStream(file), "targets.txt"));
      return list;
    }, text);
  }

  @FuzzTest
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void argument(byte[] input) {
    // one command-line argument, with -p 22,80 and a default expectation, as `scan -p 22,80 ARG`
    String arg = new String(input, StandardCharsets.UTF_8);
    try {
      new TargetList("22,80", PortState.OPEN).add(arg, "argument");
    } catch (UsageException e) {
      CliFuzzChecks.oneLineError(e, arg);
      return;
    }
    long n = checkList(() -> {
      TargetList list = new TargetList("22,80", PortState.OPEN);
      list.add(arg, "argument");
      return list;
    }, arg);
    // -1: more than WALK targets (a CIDR block such as /18 with two ports), not walked to the end
    assertThat(n).as("an accepted argument names at least one target").isNotZero();
  }

  @FuzzTest
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void portList(byte[] input) {
    String spec = new String(input, StandardCharsets.UTF_8);
    java.util.BitSet ports;
    try {
      ports = TargetList.parsePorts(spec);
    } catch (UsageException e) {
      CliFuzzChecks.oneLineError(e, spec);
      return;
    }
    assertThat(ports.isEmpty()).isFalse();
    assertThat(ports.nextSetBit(0)).isGreaterThanOrEqualTo(1);
    assertThat(ports.length() - 1).isLessThanOrEqualTo(65535);
  }

  /**
   * Walks a fresh list (a list is one pass): every entry distinct, printing back to itself, no
   * wider than the list says for arguments; an input error ends it as one line; three shards of
   * fresh copies partition it. The number of entries, or -1 when the list was too long to walk.
   */
  private static long checkList(Supplier<TargetList> make, String input) {
    TargetList list = make.get();
    list.onBadLine(m -> {
      assertThat(m).as("a bad line's message").isNotBlank().doesNotContain("\n")
          .doesNotContain("\r").startsWith("targets.txt:");
    });
    Set<Target> seen = new HashSet<>();
    Iterator<TargetList.Entry> it = list.iterator(null);
    long n = 0;
    int width = 0;
    while (it.hasNext()) {
      Target t = it.next().target();
      if (++n > WALK) {
        return -1;
      }
      assertThat(seen.add(t)).as("listed once: %s", t).isTrue();
      assertThat(Target.parse(t.toString())).isEqualTo(t);
      width = Math.max(width, t.toString().length());
    }
    if (list.error() != null) {
      CliFuzzChecks.oneLineError(list.error(), input);
    }
    assertThat(n).isBetween(0L, TargetList.MAX_TARGETS);
    if (list.upperBound() >= 0) {
      assertThat(n).isLessThanOrEqualTo(list.upperBound());
      assertThat(width).isLessThanOrEqualTo(list.width());
    }
    long sum = 0;
    for (int k = 1; k <= 3; k++) {
      Converters.Shard shard = new Converters.Shard(k, 3);
      for (Iterator<TargetList.Entry> s = make.get().iterator(shard); s.hasNext(); s.next()) {
        sum++;
      }
    }
    assertThat(sum).as("three shards partition the list").isEqualTo(n);
    return n;
  }
}
