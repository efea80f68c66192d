package dev.tcpdial.cli.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tcpdial.Family;
import dev.tcpdial.Target;
import dev.tcpdial.cli.Cli;
import dev.tcpdial.cli.process.ExitCodes;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a scan reads: target files (byte-order mark, other encodings, long lines, content never
 * echoed), expectations that disagree, address spellings, ranges, --exclude, service names, and
 * the messages for input that looks right and is not.
 */
class TargetInputTest {
  @TempDir
  Path dir;

  private Path file(String name, byte[] content) throws Exception {
    Path p = dir.resolve(name);
    Files.write(p, content);
    return p;
  }

  private Path file(String name, String content) throws Exception {
    return file(name, content.getBytes(StandardCharsets.UTF_8));
  }

  /** A bad input line: named on stderr, one line each, skipped; the exit status says so. */
  private static void badInput(Cli.Run r, String... parts) {
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(r.err().lines()).as(r.err()).allMatch(l -> l.startsWith("tcpdial scan: "));
    assertThat(r.err()).contains(parts);
    Cli.assertNoStackTrace(r.err());
  }

  private static void usage(Cli.Run r, String... parts) {
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
    assertThat(r.err()).contains(parts);
    Cli.assertNoStackTrace(r.err());
  }

  @Test
  void aByteOrderMarkIsSkipped() throws Exception {
    Path f = file("bom.txt", "\ufeff127.0.0.1:1=closed\n127.0.0.1:2=closed\n");
    Cli.Run r = Cli.run("scan", "-f", f.toString(), "--no-progress", "--format", "json");
    assertThat(r.err()).isEmpty();
    assertThat(r.results()).extracting(n -> n.get("port").asInt()).containsExactlyInAnyOrder(1, 2);
  }

  @Test
  void aFileThatIsNotUtf8IsSaidInOneLineWithItsPlace() throws Exception {
    Path f = file("latin1.txt", "h\u00f4te:80\n".getBytes(StandardCharsets.ISO_8859_1));
    badInput(Cli.run("scan", "-f", f.toString()), "latin1.txt:1: not UTF-8 text (byte 0xf4 at column 2)");
  }

  @Test
  void aHugeLineIsNotEchoed() throws Exception {
    Path f = file("huge.txt", "x".repeat(2_000_000) + "\n");
    Cli.Run r = Cli.run("scan", "-f", f.toString());
    badInput(r, "huge.txt:1: line longer than 4096 bytes");
    assertThat(r.err().length()).isLessThan(200);
    Path g = file("long-token.txt", "y".repeat(3000) + ":80\n");
    Cli.Run s = Cli.run("scan", "-f", g.toString());
    assertThat(s.code()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(s.err().length()).as(s.err()).isLessThan(300);
  }

  @Test
  void aFileThatIsNoTargetListIsNotEchoed() throws Exception {
    Path f = file("shadow", "root:$y$j9T$S3CRETHASHxyz:19000:0:99999:7:::\nuser:*:1:0:::\n");
    Cli.Run r = Cli.run("scan", "-f", f.toString());
    badInput(r, "shadow:1:", "shadow:2:");
    assertThat(r.err() + r.out()).doesNotContain("S3CRET").doesNotContain("root").doesNotContain("user");
  }

  @Test
  void oneTargetWithTwoExpectationsIsABadLine() throws Exception {
    for (String[] spelling : new String[][] {
        {"127.0.0.1:1", "127.0.0.1:1"}, {"[::1]:1", "[0:0::1]:1"}, {"[::1]:1", "[0:0:0:0:0:0:0:1]:01"},
        {"LocalHost.:1", "localhost:1"}}) {
      Path f = file("two.txt", spelling[0] + "=closed\n" + spelling[1] + "=open\n");
      Cli.Run r = Cli.run("scan", "-f", f.toString(), "--no-progress", "-q");
      assertThat(r.code()).as(String.join(" ", spelling)).isEqualTo(ExitCodes.BAD_INPUT);
      assertThat(r.err()).contains("two.txt:2:", "expected open here but closed earlier");
    }
    // the same expectation twice, or none the second time: one target, no error
    Path same = file("same.txt", "[::1]:1=closed\n[0::1]:1=closed\n[::1]:1\n");
    Cli.Run r = Cli.run("scan", "-f", same.toString(), "--no-progress", "--format", "json");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.results()).hasSize(1);
  }

  @Test
  void portsFollowOneRuleHoweverTheHostIsWritten() {
    TargetList l = new TargetList("0080", null);
    l.add("127.0.0.1:0002222", "a");
    l.add("[::1]:02222", "b");
    l.add("[::1]:000000000000022", "c");
    l.add("127.0.0.1", "d");
    assertThat(l.entries(null)).extracting(e -> e.target().toString())
        .containsExactly("127.0.0.1:2222", "[::1]:2222", "[::1]:22", "127.0.0.1:80");
    assertThatThrownBy(() -> Target.parse("127.0.0.1:0065536")).hasMessageContaining("outside 1-65535");
    assertThatThrownBy(() -> Target.parse("[::1]:0065536")).hasMessageContaining("outside 1-65535");
    assertThatThrownBy(() -> Target.parse("127.0.0.1:000000")).hasMessageContaining("port 0");
  }

  @Test
  void messagesSayWhatIsWrong() {
    usage(Cli.run("scan", "127.0.0.1:80:80"), "more than one ':'");
    assertThat(Cli.run("scan", "127.0.0.1:80:80").err()).doesNotContain("[127.0.0.1:80:80]");
    usage(Cli.run("check", "fd00::1:80"), "as in [fd00::1]:80");
    usage(Cli.run("scan", "127.0.0.1:9", "--rate", "0.0000001/s"), "out of range", "1/m");
    usage(Cli.run("scan", "127.0.0.1:9", "--rate", "99999999999/s"), "out of range");
    usage(Cli.run("check", "-a.test:80"), "'-a.test:80' is not an option of check",
        "cannot start with '-'");
    usage(Cli.run("check", "[::1]:1", "-4"), "IPv6 address", "-4 allows only IPv4");
    usage(Cli.run("check", "127.0.0.1:1", "-6"), "IPv4 address", "-6 allows only IPv6");
    usage(Cli.run("scan", "[::1]:1", "-4"), "IPv6 address", "-4 allows only IPv4");
    usage(Cli.run("ping", "-c", "1", "[::1]:1", "-4"), "IPv6 address", "-4 allows only IPv4");
    usage(Cli.run("scan", "[::ffff:127.0.0.1]:1", "-6"), "IPv4-mapped");
    usage(Cli.run("scan", "::1", "-p", "1", "-4"), "-4 allows only IPv4");
    usage(Cli.run("scan", "198.18.0.0/30", "-p", "1", "-6"), "-6 allows only IPv6");
    usage(Cli.run("check", "[fe80::1]:80"), "link-local", "add the interface");
    usage(Cli.run("scan", "fe80::1", "-p", "80"), "link-local", "add the interface");
    usage(Cli.run("scan", "fe80::1%nosuchif0", "-p", "80"), "zone 'nosuchif0' is not an interface");
  }

  @Test
  void aSourceAddressThisMachineLacksIsSaidAtOnce() {
    // 198.18.0.1 is on no interface of this namespace: the bind fails locally, nothing is sent
    for (String cmd : new String[] {"check", "scan"}) {
      long start = System.nanoTime();
      Cli.Run r = Cli.run(cmd, "-s", "198.18.0.1", "127.0.0.1:9");
      usage(r, "--source '198.18.0.1' is not an address of this machine");
      assertThat(r.err()).doesNotContain("--concurrency").doesNotContain("retr");
      assertThat((System.nanoTime() - start) / 1e9).isLessThan(2.0);
    }
  }

  @Test
  void ipv4MappedLiteralsAreDialedOverIpv4() throws Exception {
    for (String t : new String[] {"[::ffff:127.0.0.1]:1", "[::ffff:7f00:1]:1"}) {
      assertThat(Target.parse(t).literal().orElseThrow().getAddress()).hasSize(4);
      assertThat(Target.parse(Target.parse(t).toString())).isEqualTo(Target.parse(t));
      Cli.Run r = Cli.run("check", t, "--format", "json");
      JsonNode n = r.json().getFirst();
      assertThat(n.get("address").asText()).as(r.out()).isEqualTo("127.0.0.1");
    }
    TargetList l = new TargetList(null, null);
    l.add("[::ffff:127.0.0.1]:1", "a");
    l.add("127.0.0.1:1", "b"); // the same endpoint
    assertThat(l.entries(null)).extracting(e -> e.target().toString()).containsExactly("127.0.0.1:1");
  }

  @Test
  void aZoneIsKept() throws Exception {
    TargetList l = new TargetList("80,443", null);
    l.add("fe80::1%lo", "a");
    l.add("[fe80::1%lo]:22", "b");
    l.add("[fe80::1%1]:23", "c");
    assertThat(l.entries(null)).extracting(e -> e.target().toString()).containsExactly(
        "[fe80::1%lo]:80", "[fe80::1%lo]:443", "[fe80::1%lo]:22", "[fe80::1%1]:23");
    TargetList again = new TargetList(null, null);
    again.add("[fe80::1%lo]:9", "x");
    for (TargetList.Entry e : again.entries(null)) {
      assertThat(Target.parse(e.target().toString())).isEqualTo(e.target());
    }
  }

  @Test
  void rangesExcludesAndServiceNames() {
    TargetList l = new TargetList("ssh,http,8000-8001", null, Family.ANY,
        Excludes.parse(List.of("198.18.1.2,198.18.2.0/30", "198.18.1-2.4")));
    l.add("198.18.1-2.1-5", "a");
    List<String> hosts = l.entries(null).stream().map(e -> e.target().host()).distinct().toList();
    assertThat(hosts).containsExactly("198.18.1.1", "198.18.1.3", "198.18.1.5", "198.18.2.5");
    assertThat(TargetList.parsePorts("ssh,http,8000-8001,HTTPS").stream().toArray())
        .containsExactly(22, 80, 443, 8000, 8001);
    assertThatThrownBy(() -> TargetList.parsePorts("nosuchservice"))
        .hasMessageContaining("'nosuchservice' is not a port number or a TCP service name");
    assertThatThrownBy(() -> new TargetList("80", null).add("198.18.1.1-300", "x"))
        .hasMessageContaining("not an address range");
    assertThatThrownBy(() -> new TargetList("80", null).add("198.18.1.9-1", "x"))
        .hasMessageContaining("not an address range");
    assertThatThrownBy(() -> new TargetList("80", null).add("0-255.0-255.1-2.1", "x"))
        .hasMessageContaining("at most 65536");
    assertThatThrownBy(() -> Excludes.parse(List.of("198.18.0.0/33"))).hasMessageContaining("0-32");
    TargetList one = new TargetList(null, null);
    one.add("198.18.1.1-3:8080=closed", "r");
    assertThat(one.entries(null)).extracting(e -> e.target().toString())
        .containsExactly("198.18.1.1:8080", "198.18.1.2:8080", "198.18.1.3:8080");
  }

  @Test
  void servicesComeFromTheFileOrTheBuiltInTable() throws Exception {
    Path f = file("services", "# comment\nfoo-svc  7777/tcp  foo alias2 # x\nbar 53/udp\nssh 22/tcp\n");
    Map<String, Integer> t = Ports.read(f);
    assertThat(t).containsEntry("foo-svc", 7777).containsEntry("alias2", 7777)
        .containsEntry("ssh", 22).doesNotContainKey("bar");
    Map<String, Integer> missing = Ports.read(dir.resolve("none"));
    assertThat(missing).containsEntry("ssh", 22).containsEntry("https", 443)
        .containsEntry("postgresql", 5432);
  }

  @Test
  void memoryDoesNotDependOnPortNumbers() {
    // 20,000 one-port lines of high ports: the table grows with distinct targets only
    Runtime rt = Runtime.getRuntime();
    TargetList l = new TargetList(null, null);
    for (int h = 0; h < 20_000; h++) {
      l.add("127.0." + (h >> 8) + "." + (h & 255) + ":" + (65535 - h % 7), "x");
    }
    System.gc();
    long before = rt.totalMemory() - rt.freeMemory();
    java.util.Iterator<TargetList.Entry> it = l.iterator(null);
    long n = 0;
    while (it.hasNext()) {
      it.next();
      n++;
    }
    System.gc();
    long after = rt.totalMemory() - rt.freeMemory();
    assertThat(n).isEqualTo(20_000);
    assertThat(l.distinct()).isEqualTo(20_000);
    // 32,768 slots of 25 bytes: ~0.8 MB; a BitSet per line sized by its port was ~160 MB
    assertThat(after - before).as("bytes kept for 20,000 distinct targets").isLessThan(8_000_000L);
  }

  @Test
  void linesAreStreamed() {
    byte[] text = "127.0.0.1:1\n# c\n\n127.0.0.1:2 # trailing\r\n".getBytes(StandardCharsets.UTF_8);
    LineSource s = LineSource.direct(new ByteArrayInputStream(text), "t");
    assertThat(s.next()).isEqualTo(new LineSource.Line("127.0.0.1:1", 1));
    assertThat(s.next()).isEqualTo(new LineSource.Line("127.0.0.1:2", 4));
    assertThat(s.next()).isNull();
  }
}
