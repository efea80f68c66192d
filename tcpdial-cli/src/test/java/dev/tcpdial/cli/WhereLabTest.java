package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tcpdial.cli.process.ExitCodes;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where, end to end, in the path lab ({@code lab/chain.sh}: client, routers 1, 2, 3, target), with
 * the tool run as an unprivileged user (65534) in the client namespace: {@code trace} in every
 * format, {@code check --trace-on-failure}, {@code ping --trace-on-failure}, {@code scan
 * --trace-on-failure --report} and {@code serve}'s probe_tcp_icmp and trace metrics. Router 2
 * drops SYNs to port 82, router 3 rejects port 83 as administratively prohibited, 198.18.27.1
 * loops between routers 1 and 2. Root only; the lab goes away even when a test fails.
 */
class WhereLabTest {
  private static Path script;
  private static String prefix;

  @TempDir
  static Path dir;

  @BeforeAll
  static void up() throws Exception {
    assumeTrue(NamespaceScanTest.root(), "needs root to build the path lab (network namespaces)");
    assumeTrue(new File("/usr/sbin/nft").canExecute() || new File("/sbin/nft").canExecute(),
        "needs nftables (nft) for the path lab");
    for (Path d = Path.of(System.getProperty("user.dir")).toAbsolutePath(); d != null;
        d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("lab/chain.sh"))) {
        script = d.resolve("lab/chain.sh");
        break;
      }
    }
    assumeTrue(script != null, "lab/chain.sh is not in this checkout");
    prefix = "tw" + Long.toString(ProcessHandle.current().pid(), 36);
    Map.Entry<Integer, String> r = ServeNamespaceTest.run(List.of(script.toString(), "up", prefix,
        "--owner", Long.toString(ProcessHandle.current().pid())), 60);
    assertThat(r.getKey()).as(r.getValue()).isZero();
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    classPath = readableClassPath();
  }

  private static String classPath;

  /**
   * This JVM's class path as user 65534 can read it: jars from places it cannot enter (Maven's
   * repository under root's home) copied into the test's directory, directories as they are.
   */
  private static String readableClassPath() throws Exception {
    Path copies = Files.createDirectories(dir.resolve("cp"));
    Files.setPosixFilePermissions(copies, PosixFilePermissions.fromString("rwxr-xr-x"));
    List<String> out = new ArrayList<>();
    int i = 0;
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path p = Path.of(e);
      if (Files.isRegularFile(p) && !e.startsWith("/work/")) {
        Path c = copies.resolve((i++) + "-" + p.getFileName());
        Files.copy(p, c);
        Files.setPosixFilePermissions(c, PosixFilePermissions.fromString("rw-r--r--"));
        out.add(c.toString());
      } else {
        out.add(e);
      }
    }
    return String.join(File.pathSeparator, out);
  }

  @AfterAll
  static void down() throws Exception {
    if (prefix != null) {
      ServeNamespaceTest.run(List.of(script.toString(), "down", prefix), 60);
      assertThat(ServeNamespaceTest.run(List.of("ip", "netns", "list"), 10).getValue())
          .doesNotContain(prefix + "c");
    }
  }

  private record Run(int code, String out, String err) {
    List<JsonNode> json() {
      return out.lines().map(l -> {
        try {
          return Cli.JSON.readTree(l);
        } catch (Exception e) {
          throw new AssertionError("not JSON: " + l, e);
        }
      }).toList();
    }
  }

  /** The tool in the client namespace as user 65534. */
  private static List<String> tool(String... args) {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", prefix + "c", "setpriv",
        "--reuid=65534", "--regid=65534", "--clear-groups", "--"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    cmd.addAll(List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-exports",
        "java.base/sun.nio.ch=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-cp", classPath,
        Main.class.getName()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  private static Run cli(String... args) throws Exception {
    Process p = new ProcessBuilder(tool(args)).start();
    var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
    var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      throw new AssertionError("timed out: " + String.join(" ", args));
    }
    return new Run(p.exitValue(), out.get(), err.get());
  }

  private static String read(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      return "";
    }
  }

  @Test
  void traceSaysWhereInEveryFormat() throws Exception {
    Run text = cli("trace", "-w", "300ms", "198.18.23.2:82");
    assertThat(text.code()).as(text.err()).isEqualTo(ExitCodes.TIMEOUT);
    assertThat(text.out()).contains("   1. 198.18.20.1 ").contains("   2. ???")
        .contains("verdict: the SYN is dropped after hop 1 (198.18.20.1, ");

    Run json = cli("trace", "--format", "json", "-w", "300ms", "[fd00:23::2]:83");
    assertThat(json.code()).as(json.err()).isEqualTo(ExitCodes.PROHIBITED);
    JsonNode t = json.json().getFirst();
    assertThat(t.get("verdict").get("kind").asText()).isEqualTo("refused");
    assertThat(t.get("verdict").get("hop").asInt()).isEqualTo(3);
    assertThat(t.get("verdict").get("address").asText()).isEqualTo("fd00:22::3");
    assertThat(t.get("verdict").get("icmp").get("name").asText()).isEqualTo("admin-prohibited");
    assertThat(t.get("hops").get(0).get("addresses").get(0).asText()).isEqualTo("fd00:20::1");
    assertThat(json.json().getLast().get("summary").get("exit_code").asInt())
        .isEqualTo(ExitCodes.PROHIBITED);

    // every address of a name (from the client's own hosts file), IPv4 and IPv6 side by side
    Run csv = cli("trace", "--format", "csv", "--all-addresses", "-q", "1", "-w", "300ms",
        "target.lab:83");
    assertThat(csv.code()).as(csv.err()).isEqualTo(ExitCodes.PROHIBITED); // worst of 5 and 6
    List<String> rows = csv.out().lines().toList();
    assertThat(rows.getFirst()).startsWith("target,address,ttl,probe,answer,from,");
    assertThat(rows).anyMatch(l -> l.startsWith("target.lab:83,198.18.23.2,4,0,unreachable,"
        + "198.18.22.3,") && l.endsWith(",host_unreachable,EHOSTUNREACH,admin-prohibited,3,13,"
        + "refused,3"));
    assertThat(rows).anyMatch(l -> l.startsWith("target.lab:83,fd00:23::2,4,0,unreachable,"
        + "fd00:22::3,") && l.endsWith(",prohibited,EACCES,admin-prohibited,1,1,refused,3"));
    assertThat(csv.err()).contains("refused by hop 3 (198.18.22.3, ICMP admin-prohibited)")
        .contains("refused by hop 3 (fd00:22::3, ICMP admin-prohibited)");
  }

  @Test
  void checkNamesTheSenderAndTracesTheFailures() throws Exception {
    Run r = cli("check", "--trace-on-failure", "--format", "json", "-t", "300ms",
        "198.18.23.2:82", "198.18.23.2:83", "198.18.27.1:80");
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.UNREACHABLE);
    List<JsonNode> lines = r.json();
    assertThat(lines.get(0).get("icmp").isNull()).isTrue(); // silence: nobody answered
    assertThat(lines.get(1).get("icmp").get("name").asText()).isEqualTo("admin-prohibited");
    assertThat(lines.get(1).get("icmp").get("from").asText()).isEqualTo("198.18.22.3");
    assertThat(lines.get(2).get("icmp").get("name").asText()).isEqualTo("time-exceeded");
    JsonNode traces = lines.getLast().get("summary").get("traces");
    assertThat(traces).hasSize(3);
    assertThat(traces.get(0).get("verdict").get("line").asText())
        .startsWith("the SYN is dropped after hop 1 (198.18.20.1, ");
    assertThat(traces.get(1).get("verdict").get("line").asText())
        .isEqualTo("refused by hop 3 (198.18.22.3, ICMP admin-prohibited)");
    assertThat(traces.get(2).get("verdict").get("kind").asText()).isEqualTo("loop");
  }

  @Test
  void pingLogsWhereTheOutageHappened() throws Exception {
    Run r = cli("ping", "--no-plot", "--trace-on-failure", "-c", "2", "-i", "200ms", "-t",
        "300ms", "198.18.23.2:83");
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.UNREACHABLE);
    assertThat(r.out()).contains("seq=1").contains("admin-prohibited from 198.18.22.3")
        .containsPattern("trace at the outage of 198\\.18\\.23\\.2:83 at [-0-9: .+]+: refused by hop"
            + " 3 \\(198\\.18\\.22\\.3, ICMP admin-prohibited\\)");
  }

  @Test
  void theScanReportListsWhereFailedPortsStop() throws Exception {
    Path page = dir.resolve("scan.html");
    Run r = cli("scan", "198.18.23.2", "-p", "81-83", "-t", "300ms", "--trace-on-failure",
        "--report", page.toString());
    assertThat(r.code()).as(r.err()).isIn(ExitCodes.OK, ExitCodes.UNREACHABLE);
    assertThat(r.out()).contains("where: 198.18.23.2:83: refused by hop 3 (198.18.22.3, ICMP"
        + " admin-prohibited)").contains("where: 198.18.23.2:82: the SYN is dropped after hop 1");
    String html = Files.readString(page);
    assertThat(html).contains("<h2>Where failed ports stop</h2>")
        .contains("\"admin-prohibited from 198.18.22.3\"")
        .contains("<td>198.18.23.2:82</td><td>the SYN is dropped after hop 1 (198.18.20.1, ");
  }

  @Test
  void serveNamesTheSenderAndTracesWhenTheModuleAsks() throws Exception {
    Path config = dir.resolve("tcpdial.yml");
    Files.writeString(config, """
        modules:
          plain:
            prober: tcp
            timeout: 5s
          where:
            prober: tcp
            timeout: 5s
            tcpdial:
              icmp_from_label: true
              trace_on_failure: true
        """);
    Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
    String listen = "127.0.0.1:" + (19100 + (int) (ProcessHandle.current().pid() % 500));
    Path log = dir.resolve("serve.log");
    List<String> cmd = tool("serve", "--listen", listen, "--config", config.toString());
    Process serve = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    try {
      ServeNamespaceTest.waitHealthy(prefix + "c", listen, log);
      String plain = ServeNamespaceTest.probe(prefix + "c", listen,
          "module=plain&target=198.18.23.2:83", "5");
      assertThat(plain).contains("probe_tcp_icmp{code=\"13\",name=\"admin-prohibited\","
          + "origin=\"icmp\",type=\"3\"} 1\n").doesNotContain("probe_tcp_trace");
      String where = ServeNamespaceTest.probe(prefix + "c", listen,
          "module=where&target=198.18.23.2:83", "5");
      assertThat(where).contains("probe_tcp_icmp{code=\"13\",from=\"198.18.22.3\","
          + "name=\"admin-prohibited\",origin=\"icmp\",type=\"3\"} 1\n");
      assertThat(ServeNamespaceTest.value(where, "probe_tcp_trace_hops")).isEqualTo(3);
      assertThat(where).contains("probe_tcp_trace_last_hop_info{address=\"198.18.22.3\","
          + "verdict=\"refused\"} 1\n");
      String dropped = ServeNamespaceTest.probe(prefix + "c", listen,
          "module=where&target=198.18.23.2:82", "5");
      assertThat(ServeNamespaceTest.value(dropped, "probe_tcp_trace_hops")).isEqualTo(1);
      assertThat(dropped).contains("probe_tcp_trace_last_hop_info{address=\"198.18.20.1\","
          + "verdict=\"dropped\"} 1\n");
      // the whole probe, dial and trace, within the scrape's 5 s
      assertThat(ServeNamespaceTest.curlSeconds(dropped)).isLessThan(5.0);
    } finally {
      ServeNamespaceTest.stop(List.of(serve));
    }
  }
}
