package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Faults injected while the CLI runs ({@code bench/faults} with {@code FAULTS_QUICK=1}: duplicated
 * SYNs, a link down mid-ping, a route turning unreachable mid-scan, a full accept queue, the
 * descriptor limit cut mid-scan, given back or not, SIGINT and SIGTERM mid-scan), in namespaces
 * the script creates and always removes. The CLI runs from this test's class path, directories of
 * class files: with the limit cut for good a scan must still end with its summary and exit 8 (it
 * died loading the summary's class before). Needs root, nftables and gcc; about a minute.
 * RELIABILITY.md has the rest.
 */
class FaultsLabTest {

  private static boolean has(String command) throws Exception {
    Process p = new ProcessBuilder("sh", "-c", "command -v " + command).start();
    return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
  }

  @Test
  void faultsAreNamedAndNothingIsLost() throws Exception {
    assumeTrue(NamespaceScanTest.root(), "needs root to create network namespaces; skipped");
    assumeTrue(has("gcc"), "needs gcc for the lab's servers (bench/c); skipped");
    assumeTrue(has("nft") && has("prlimit"), "needs nftables and prlimit (scripts/setup-test-deps.sh); skipped");
    Path root = Path.of("").toAbsolutePath().getParent();
    Path out = Path.of("target", "faults").toAbsolutePath();
    Files.createDirectories(out);
    Path log = out.resolve("faults.log");
    ProcessBuilder pb = new ProcessBuilder(root.resolve("bench/faults").toString(), out.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("TCPDIAL_CMD", String.join(" ", NamespaceScanTest.java()));
    pb.environment().put("FAULTS_QUICK", "1");
    Process p = pb.start();
    if (!p.waitFor(240, TimeUnit.SECONDS)) {
      p.destroy(); // the script removes its namespaces on SIGTERM too
      p.waitFor(20, TimeUnit.SECONDS);
    }
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    String all = String.join("\n", lines);
    assertThat(lines).as(all).isNotEmpty();
    assertThat(lines.getLast()).as(all).matches("FAULTS checked=\\d+ failed=0");
    assertThat(all).contains("fault fd-limit-mid-scan-jdk-stays: ok");
    assertThat(lines.stream().filter(l -> l.startsWith("fault ")).count()).as(all).isGreaterThanOrEqualTo(9);
  }
}
