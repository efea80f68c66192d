package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tcpdial.Target;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * The scan's target grammar on any text: hosts, CIDR blocks, {@code -p} port lists and ranges,
 * {@code =open|closed|filtered}, {@code #} comments, a target file line by line. Property: a list
 * whose every entry is a valid, distinct target that prints back to itself, counted exactly by
 * {@code size()} and split exactly by shards; or a one-line {@link UsageException}; never another
 * exception, never a hang.
 *
 * <p>An input is a target file; its first line, when it starts with {@code -p }, is the port list.
 */
class TargetListFuzzTest {
  /** Lists larger than this are counted, not walked entry by entry (a fuzz input must be fast). */
  private static final long WALK = 20_000;

  @FuzzTest
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void targetFile(byte[] input) throws IOException {
    String text = new String(input, StandardCharsets.UTF_8);
    String ports = null;
    String file = text;
    if (text.startsWith("-p ")) {
      int nl = text.indexOf('\n');
      ports = nl < 0 ? text.substring(3) : text.substring(3, nl);
      file = nl < 0 ? "" : text.substring(nl + 1);
    }
    TargetList list;
    try {
      list = new TargetList(ports, null);
      list.addLines(new BufferedReader(new StringReader(file)), "targets.txt");
    } catch (UsageException e) {
      CliFuzzChecks.oneLineError(e, text);
      return;
    }
    checkList(list);
  }

  @FuzzTest
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void argument(byte[] input) {
    // one command-line argument, with -p 22,80 and a default expectation, as `scan -p 22,80 ARG`
    String arg = new String(input, StandardCharsets.UTF_8);
    TargetList list = new TargetList("22,80", Expectation.OPEN);
    try {
      list.add(arg, "argument");
    } catch (UsageException e) {
      CliFuzzChecks.oneLineError(e, arg);
      return;
    }
    assertThat(list.size()).isPositive();
    checkList(list);
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

  private static void checkList(TargetList list) {
    long size = list.size();
    assertThat(size).isBetween(0L, TargetList.MAX_TARGETS);
    if (size > WALK) {
      return;
    }
    Set<Target> seen = new HashSet<>();
    Iterator<TargetList.Entry> it = list.iterator(null);
    long n = 0;
    int width = 0;
    while (it.hasNext()) {
      Target t = it.next().target();
      n++;
      assertThat(seen.add(t)).as("listed once: %s", t).isTrue();
      assertThat(Target.parse(t.toString())).isEqualTo(t);
      width = Math.max(width, t.toString().length());
    }
    assertThat(n).isEqualTo(size);
    assertThat(width).isLessThanOrEqualTo(list.width());
    // three shards: a partition of the list, sized as size(shard) says
    long sum = 0;
    for (int k = 1; k <= 3; k++) {
      Converters.Shard shard = new Converters.Shard(k, 3);
      long part = 0;
      for (Iterator<TargetList.Entry> s = list.iterator(shard); s.hasNext(); s.next()) {
        part++;
      }
      assertThat(part).isEqualTo(list.size(shard));
      sum += part;
    }
    assertThat(sum).isEqualTo(size);
  }
}
