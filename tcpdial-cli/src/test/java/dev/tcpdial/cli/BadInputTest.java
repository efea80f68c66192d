package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.cli.process.ExitCodes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Malformed targets and options: one line on stderr, exit code 2, never a stack trace. */
class BadInputTest {

  static final List<String> BAD_TARGETS = List.of(
      "", " ", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:99999",
      "127.0.0.1:123456", "127.0.0.1:abc", "127.0.0.1:1e3", "127.0.0.1:+80", "127.0.0.1:0x50",
      "256.0.0.1:80", "1.2.3:80", "1.2.3.4.5:80", "01.2.3.4:80", "[::1:80", "::1]:80",
      "[127.0.0.1]:80", "[]:80", "[::1]80", "host name:80", "host-:80", "ho$t:80", "a..b:80",
      "[:::1]:80", "[gggg::1]:80", ":80", "x:80:90", "a".repeat(64) + ".example:80",
      "abc.".repeat(64) + "com:80", "host:8 0", "[::1]:", "[::1]:0", "h\u00e9llo:80",
      "127.0.0.1:80/24", "bad\u0007bell:80", "host:80x", "999.999.999.999:1");

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (String t : BAD_TARGETS) {
      all.add(Arguments.of((Object) new String[] {"check", t}));
      all.add(Arguments.of((Object) new String[] {"ping", "-c", "1", t}));
      all.add(Arguments.of((Object) new String[] {"scan", "--no-progress", t}));
    }
    String ok = "127.0.0.1:9";
    String[][] options = {
        {"check", "127.0.0.1"}, // no port
        {"ping", "-c", "1", "127.0.0.1"},
        {"check", "--timeout", "abc", ok}, {"check", "--timeout", "-1s", ok},
        {"check", "--timeout", "1x", ok}, {"check", "--timeout", "1.5.5s", ok},
        {"check", "--timeout", "2d", ok}, {"check", "--timeout", "25h", ok},
        {"check", ok, "--timeout"}, {"check", "--deadline", "soon", ok},
        {"check", "--retries", "-1", ok}, {"check", "--retries", "1000", ok},
        {"check", "--retries", "x", ok}, {"check", "--mode", "fast", ok},
        {"check", "--format", "xml", ok}, {"check", "--engine", "rust", ok},
        {"check", "--syn-retries", "200", ok}, {"check", "--syn-retries", "-3", ok},
        {"check", "-4", "-6", ok}, {"check", "--attempt-delay", "x", ok},
        {"check", "--source", "1.2.3", ok}, {"check", "--source", "localhost", ok},
        {"check", "--bogus", ok}, {"check"}, {"check", "--format"},
        {"ping", "-c", "0", ok}, {"ping", "-c", "-5", ok}, {"ping", "-i", "0", ok},
        {"ping", "-i", "abc", ok}, {"ping", "-c", "x", ok}, {"ping"}, {"ping", ok, ok},
        {"scan", "127.0.0.1", "-p", "0"}, {"scan", "127.0.0.1", "-p", "70000"},
        {"scan", "127.0.0.1", "-p", "10-5"}, {"scan", "127.0.0.1", "-p", ","},
        {"scan", "127.0.0.1", "-p", "a"}, {"scan", "127.0.0.1", "-p", "1-3-5"},
        {"scan", "127.0.0.1", "-p", ""}, {"scan", ok, "--rate", "0"},
        {"scan", ok, "--rate", "x/s"}, {"scan", ok, "--rate", "5/h"},
        {"scan", ok, "--shard", "0/3"}, {"scan", ok, "--shard", "4/3"},
        {"scan", ok, "--shard", "1"}, {"scan", ok, "--shard", "a/b"},
        {"scan", ok, "--expect", "maybe"}, {"scan", ok, "--concurrency", "0"},
        {"scan", "-f", "/nonexistent/targets.txt"}, {"scan", "198.18.0.0/8", "-p", "80"},
        {"scan", "fd00::/64", "-p", "80"}, {"scan", "::/0", "-p", "80"},
        {"scan", "1.2.3.4/33", "-p", "80"}, {"scan", "1.2.3.4/-1", "-p", "80"},
        {"scan", "1.2.3.4/", "-p", "80"}, {"scan", "nota/24", "-p", "80"},
        {"scan", "198.18.1.0/28"}, {"scan", "127.0.0.1:80=maybe"}, {"scan", "127.0.0.1:80="},
        {"scan"}, {"scan", "127.0.0.0/16", "-p", "1-65535"},
        {"bogus"}, {"--bogus"}, {}, {"demo", "--timeout", "0"}, {"demo", "--timeout", "1m"},
        {"completion", "extra"}, {"help", "nosuch"},
    };
    for (String[] o : options) {
      all.add(Arguments.of((Object) o));
    }
    return all.stream();
  }

  @ParameterizedTest
  @MethodSource("cases")
  void oneLineExitTwoNoStackTrace(String[] args) {
    Cli.Run r = Cli.run(args);
    assertThat(r.code()).as("exit code of %s; stderr %s", List.of(args), r.err()).isEqualTo(ExitCodes.USAGE);
    String err = r.err().strip();
    assertThat(err).as("stderr of %s", List.of(args)).isNotEmpty().doesNotContain("\n");
    assertThat(err).startsWith("tcpdial");
    Cli.assertNoStackTrace(r.err());
    assertThat(r.out()).as("stdout of %s", List.of(args)).isEmpty();
  }

  @Test
  void atLeastAHundredCases() {
    assertThat(cases().count()).isGreaterThanOrEqualTo(100);
  }
}
