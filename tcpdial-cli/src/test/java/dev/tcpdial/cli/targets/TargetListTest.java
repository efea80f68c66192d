package dev.tcpdial.cli.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tcpdial.PortState;
import dev.tcpdial.cli.process.UsageException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TargetListTest {
  @Test
  void portsAndDeduplication() {
    TargetList l = new TargetList("22,80,8000-8002,80", null);
    l.add("198.18.1.2", "a");
    l.add("198.18.1.2:80", "b");
    l.add("[fd00:0:0:0::1]:80", "c");
    l.add("fd00::1", "d");
    List<TargetList.Entry> e = l.entries(null);
    assertThat(e).extracting(x -> x.target().toString()).containsExactly(
        "198.18.1.2:22", "198.18.1.2:80", "198.18.1.2:8000", "198.18.1.2:8001", "198.18.1.2:8002",
        "[fd00::1]:80", "[fd00::1]:22", "[fd00::1]:8000", "[fd00::1]:8001", "[fd00::1]:8002");
  }

  @Test
  void cidrV4AndV6() {
    TargetList l = new TargetList("80", PortState.CLOSED);
    l.add("198.18.1.5/30", "x");
    l.add("fd00::/126=filtered", "y");
    List<TargetList.Entry> e = l.entries(null);
    assertThat(e).extracting(x -> x.target().host()).containsExactly("198.18.1.4", "198.18.1.5",
        "198.18.1.6", "198.18.1.7", "fd00::", "fd00::1", "fd00::2", "fd00::3");
    assertThat(e.get(0).expected()).isEqualTo(PortState.CLOSED);
    assertThat(e.get(7).expected()).isEqualTo(PortState.FILTERED);
    assertThat(l.anyExpectation()).isTrue();
  }

  @Test
  void absurdBlocksAreRefused() {
    TargetList l = new TargetList("80", null);
    assertThatThrownBy(() -> l.add("fd00::/64", "arg")).isInstanceOf(UsageException.class)
        .hasMessageContaining("2^64 addresses");
    assertThatThrownBy(() -> l.add("10.0.0.0/8", "arg")).hasMessageContaining("2^24");
    TargetList many = new TargetList("1-65535", null);
    assertThatThrownBy(() -> many.add("127.0.0.0/16", "arg")).hasMessageContaining("too many targets");
  }

  @Test
  void shardsOfTenThousandAreAPartition() {
    Set<String> union = new HashSet<>();
    int sum = 0;
    for (int k = 1; k <= 7; k++) {
      List<TargetList.Entry> part = list("1-10000", "127.0.0.1").entries(new Converters.Shard(k, 7));
      assertThat(part.size()).isBetween(10000 / 7, 10000 / 7 + 1);
      for (TargetList.Entry e : part) {
        assertThat(union.add(e.target().toString())).isTrue();
      }
      sum += part.size();
      // deterministic
      assertThat(list("1-10000", "127.0.0.1").entries(new Converters.Shard(k, 7))).isEqualTo(part);
    }
    assertThat(sum).isEqualTo(10000);
    assertThat(union).hasSize(10000);
  }

  private static TargetList list(String ports, String... specs) {
    TargetList l = new TargetList(ports, null);
    for (String s : specs) {
      l.add(s, "'" + s + "'");
    }
    return l;
  }

  @Test
  void linesOfOneHostKeepTheirOrderAndExpectations() {
    TargetList l = new TargetList("1-5", null);
    l.add("127.0.0.1:9=open", "1");
    l.add("127.0.0.1:10=open", "2");
    l.add("127.0.0.1:3=closed", "3");
    l.add("127.0.0.1:10=open", "4"); // seen, same expectation: dropped
    l.add("127.0.0.1", "5"); // 1-5 without 3
    l.add("[fd00::1]:65535", "6");
    List<TargetList.Entry> e = l.entries(null);
    assertThat(e).extracting(x -> x.target().port()).containsExactly(9, 10, 3, 1, 2, 4, 5, 65535);
    assertThat(e).extracting(TargetList.Entry::expected).containsExactly(PortState.OPEN,
        PortState.OPEN, PortState.CLOSED, null, null, null, null, null);
    assertThat(l.distinct()).isEqualTo(8);
    assertThat(l.width()).isEqualTo("[fd00::1]:65535".length());
  }

  @Test
  void parsePortsReportsTheBadElement() {
    assertThatThrownBy(() -> TargetList.parsePorts("80,9x")).hasMessageContaining("'9x'");
    assertThat(TargetList.parsePorts("1-3,2,65535").cardinality()).isEqualTo(4);
  }
}
