package dev.tcpdial.cli.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tcpdial.Family;
import dev.tcpdial.cli.process.UsageException;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * nmap's target and port syntax where it is unambiguous, checked against a table of expected
 * expansions and, where nmap is installed, against nmap's own: {@code nmap -sL -n TARGET -oX -}
 * lists the addresses of a target without sending anything, and {@code nmap -sT -n -p SPEC -oX -
 * -iL /dev/null} (no target, so nothing is sent either) writes its expansion of a port list in
 * {@code <scaninfo services=...>}.
 */
class NmapSyntaxTest {
  /** Port lists and their expansion as nmap writes it (ranges joined). */
  static final Map<String, String> PORTS = new java.util.LinkedHashMap<>();

  static {
    PORTS.put("-", "1-65535");
    PORTS.put("-10", "1-10");
    PORTS.put("65530-", "65530-65535");
    PORTS.put("80,", "80");
    PORTS.put("80", "80");
    PORTS.put("1-3,2-5", "1-5");
    PORTS.put("1,-3", "1-3");
    PORTS.put("-65535", "1-65535");
    PORTS.put("65535-", "65535");
    PORTS.put("1-2,65534-", "1-2,65534-65535");
    PORTS.put("T:80,81", "80-81");
    PORTS.put("80,T:81", "80-81");
    PORTS.put("T:-", "1-65535");
    PORTS.put("22,ssh", "22");
    PORTS.put("ssh,ssh", "22");
    PORTS.put("010", "10");
    PORTS.put(" 80", "80");
    PORTS.put("80 ,81", "80-81");
    PORTS.put("22,80,8000-8002", "22,80,8000-8002");
  }

  /** Refused by nmap too. */
  static final List<String> BAD_PORTS = List.of("80,,81", ",80", ",", "80,,", "5-1", "65536", "-0",
      "1-3-5", "80-81-", "--");

  /** Refused by tcpdial on purpose, though nmap takes them (see the README's nmap notes). */
  static final List<String> DIFFERENT_PORTS = List.of("0", "0-3", "0-", "0,80", "U:53", "S:80",
      "http*", "[1-1024]");

  /** Targets and the addresses they stand for. */
  static final Map<String, List<String>> TARGETS = new java.util.LinkedHashMap<>();

  static {
    TARGETS.put("198.18.1.1,3,5", hosts("198.18.1.", 1, 3, 5));
    TARGETS.put("198.18.1.*", hosts("198.18.1.", IntStream.rangeClosed(0, 255).toArray()));
    TARGETS.put("198.18.1.250-", hosts("198.18.1.", 250, 251, 252, 253, 254, 255));
    TARGETS.put("198.18.1.-3", hosts("198.18.1.", 0, 1, 2, 3));
    TARGETS.put("198.18.1.-", hosts("198.18.1.", IntStream.rangeClosed(0, 255).toArray()));
    TARGETS.put("198.18.-1.1", List.of("198.18.0.1", "198.18.1.1"));
    TARGETS.put("198.18.1.1-3,7,250-", hosts("198.18.1.", 1, 2, 3, 7, 250, 251, 252, 253, 254, 255));
    TARGETS.put("198.18.1.5,1", hosts("198.18.1.", 1, 5));
    TARGETS.put("198.18.1.1,1", hosts("198.18.1.", 1));
    TARGETS.put("198.18.1.1-3,2-4", hosts("198.18.1.", 1, 2, 3, 4));
    List<String> two = new ArrayList<>();
    for (int a : new int[] {1, 2}) {
      for (int b = 250; b <= 255; b++) {
        two.add("198.18." + a + "." + b);
      }
    }
    TARGETS.put("198.18.1-2.250-", two);
    List<String> star = new ArrayList<>();
    for (int a = 0; a <= 255; a++) {
      star.add("198.18." + a + ".1");
      star.add("198.18." + a + ".2");
    }
    TARGETS.put("198.18.*.1-2", star);
    TARGETS.put("198.18.1.1-20", hosts("198.18.1.", IntStream.rangeClosed(1, 20).toArray()));
    TARGETS.put("198.18.1.0/30", hosts("198.18.1.", 0, 1, 2, 3));
  }

  /** Refused by nmap (as a name it cannot resolve) and by tcpdial. */
  static final List<String> BAD_TARGETS = List.of("198.18.1.3-1", "198.18.1.1,", "198.18.1.1,,3",
      "198.18.1.*-", "198.18.1.1*", "198.18.1.256", "198.18.1,2");

  static List<String> hosts(String prefix, int... last) {
    return IntStream.of(last).mapToObj(i -> prefix + i).toList();
  }

  /** A port list as nmap writes it: ascending, runs as a-b. */
  static String compress(int[] ports) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < ports.length; i++) {
      int j = i;
      while (j + 1 < ports.length && ports[j + 1] == ports[j] + 1) {
        j++;
      }
      sb.append(sb.isEmpty() ? "" : ",").append(ports[i]);
      if (j > i) {
        sb.append('-').append(ports[j]);
      }
      i = j;
    }
    return sb.toString();
  }

  static List<String> expand(String target) {
    TargetList l = new TargetList("9", null, Family.ANY, Excludes.NONE);
    l.add(target, "'" + target + "'");
    return l.entries(null).stream().map(e -> e.target().host()).toList();
  }

  @Test
  void portListsExpandAsInTheTable() {
    for (Map.Entry<String, String> e : PORTS.entrySet()) {
      assertThat(compress(Ports.parse(e.getKey()))).as("-p '%s'", e.getKey()).isEqualTo(e.getValue());
    }
    for (String bad : BAD_PORTS) {
      assertThatThrownBy(() -> Ports.parse(bad)).as("-p '%s'", bad).isInstanceOf(UsageException.class)
          .hasMessageStartingWith("-p '");
    }
    assertThatThrownBy(() -> Ports.parse("0-3")).hasMessageContaining("port 0");
    assertThatThrownBy(() -> Ports.parse("U:53")).hasMessageContaining("TCP");
    assertThatThrownBy(() -> Ports.parse("http*")).hasMessageContaining("nmap-services");
    for (String d : DIFFERENT_PORTS) {
      assertThatThrownBy(() -> Ports.parse(d)).as("-p '%s'", d).isInstanceOf(UsageException.class);
    }
  }

  @Test
  void targetsExpandAsInTheTable() {
    for (Map.Entry<String, List<String>> e : TARGETS.entrySet()) {
      assertThat(expand(e.getKey())).as(e.getKey()).containsExactlyElementsOf(e.getValue());
    }
    for (String bad : BAD_TARGETS) {
      assertThatThrownBy(() -> expand(bad)).as(bad).isInstanceOf(UsageException.class);
    }
    // with a port, an expectation, in --exclude
    TargetList l = new TargetList(null, null);
    l.add("198.18.1.1,3:8080=closed", "x");
    assertThat(l.entries(null)).extracting(e -> e.target() + "=" + e.expected().label())
        .containsExactly("198.18.1.1:8080=closed", "198.18.1.3:8080=closed");
    assertThatThrownBy(() -> Excludes.parse(List.of("198.18.1.*0"))).isInstanceOf(UsageException.class);
    TargetList x = new TargetList("9", null, Family.ANY, Excludes.parse(List.of("198.18.1.250-,198.18.1.-1")));
    x.add("198.18.1.*", "y");
    assertThat(x.entries(null)).hasSize(256 - 6 - 2);
  }

  static boolean nmap() {
    return new File("/usr/bin/nmap").canExecute();
  }

  /** nmap's command, inside a network namespace of its own when we may make one (nothing is sent anyway). */
  static List<String> nmapCommand(String... args) {
    List<String> cmd = new ArrayList<>();
    if (dev.tcpdial.cli.NamespaceScanTest.root() && new File("/usr/bin/unshare").canExecute()) {
      cmd.addAll(List.of("unshare", "--net"));
    }
    cmd.add("nmap");
    cmd.addAll(List.of(args));
    return cmd;
  }

  static String run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return out;
  }

  @Test
  void portListsExpandAsNmapExpandsThem() throws Exception {
    assumeTrue(nmap(), "nmap is not installed (./test installs it as root); the table alone checks");
    Pattern services = Pattern.compile("<scaninfo [^>]*services=\"([^\"]*)\"");
    for (Map.Entry<String, String> e : PORTS.entrySet()) {
      String out = run(nmapCommand("-sT", "-n", "-p", e.getKey(), "-oX", "-", "-iL", "/dev/null"));
      Matcher m = services.matcher(out);
      assertThat(m.find()).as("nmap -p '%s': %s", e.getKey(), out).isTrue();
      assertThat(compress(Ports.parse(e.getKey()))).as("-p '%s' as nmap expands it", e.getKey())
          .isEqualTo(m.group(1));
    }
    for (String bad : BAD_PORTS) {
      String out = run(nmapCommand("-sT", "-n", "-p", bad, "-oX", "-", "-iL", "/dev/null"));
      assertThat(services.matcher(out).find()).as("nmap refuses -p '%s' too: %s", bad, out).isFalse();
    }
  }

  @Test
  void targetsExpandAsNmapListsThem() throws Exception {
    assumeTrue(nmap(), "nmap is not installed (./test installs it as root); the table alone checks");
    Pattern addr = Pattern.compile("<address addr=\"([^\"]*)\"");
    Path list = Files.createTempFile("tcpdial-nmap", ".txt");
    try {
      for (String t : TARGETS.keySet()) {
        Files.writeString(list, t + "\n");
        String out = run(nmapCommand("-sL", "-n", "-iL", list.toString(), "-oX", "-"));
        List<String> nmapHosts = addr.matcher(out).results().map(r -> r.group(1)).toList();
        assertThat(expand(t)).as("%s as nmap lists it", t).containsExactlyElementsOf(nmapHosts);
      }
      for (String bad : BAD_TARGETS) {
        Files.writeString(list, bad + "\n");
        String out = run(nmapCommand("-sL", "-n", "-iL", list.toString(), "-oX", "-"));
        assertThat(addr.matcher(out).find()).as("nmap lists nothing for %s: %s", bad, out).isFalse();
      }
    } finally {
      Files.deleteIfExists(list);
    }
    assertThat(TARGETS.keySet().stream().collect(Collectors.joining())).isNotEmpty();
  }
}
