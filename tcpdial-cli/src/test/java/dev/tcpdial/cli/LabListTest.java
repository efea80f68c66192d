package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tcpdial.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lab's scenario list, as demo --lab reads it (no namespaces needed). */
class LabListTest {
  @Test
  void everyScenarioParsesAndMapsToCheckOptions() throws Exception {
    Path list = Path.of("..", "lab", "demo-targets.txt");
    assumeTrue(Files.isRegularFile(list), "lab/demo-targets.txt is not in this checkout; skipped");
    List<DemoCommand.LabDemo.Scenario> s = DemoCommand.LabDemo.scenarios(list);
    assertThat(s).hasSizeGreaterThan(10);
    for (DemoCommand.LabDemo.Scenario sc : s) {
      assertThat(sc.ns()).isIn("c", "k");
      Outcome.fromLabel(sc.outcome());
      assertThat(sc.minMs()).isLessThanOrEqualTo(sc.maxMs());
      List<String> opts = DemoCommand.LabDemo.checkOptions(sc.options());
      assertThat(opts).contains("--timeout");
      // the options and the target parse as check arguments
      List<String> args = new java.util.ArrayList<>(List.of("check", "--help"));
      args.addAll(opts);
      args.add(sc.target());
      assertThat(Cli.run(args.toArray(String[]::new)).code()).isZero();
    }
    assertThat(DemoCommand.LabDemo.checkOptions("connect-timeout=1000,syn-retries=1"))
        .containsExactly("--timeout", "1000ms", "--syn-retries", "1");
    assertThat(DemoCommand.LabDemo.checkOptions("-")).containsExactly("--timeout", "10s");
  }
}
