package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** serve's listen, web, log and limit options refused before anything listens: exit 2, one line. */
class ServeOptionsTest {
  @TempDir
  Path dir;

  static String refused(String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "serve";
    System.arraycopy(args, 0, all, 1, args.length);
    Cli.Run r = Cli.run(all);
    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).hasLineCount(1);
    Cli.assertNoStackTrace(r.err());
    return r.err();
  }

  @Test
  void badValuesGetOneLineNamingTheOption() throws Exception {
    assertThat(refused("--log.level", "verbose"))
        .contains("bad --log.level 'verbose': one of debug, info, warn, error");
    assertThat(refused("--log.format", "text")).contains("bad --log.format 'text': logfmt or json");
    assertThat(refused("--web.listen-address", ":70000"))
        .contains("bad --web.listen-address ':70000'");
    assertThat(refused("--listen", "127.0.0.1")).contains("bad --listen '127.0.0.1'");
    assertThat(refused("--max-concurrent", "100", "--max-connections", "150"))
        .contains("bad --max-connections 150: at least --max-concurrent + 100 (200)");
    assertThat(refused("--web.config.file", dir.resolve("missing.yml").toString()))
        .contains("cannot read --web.config.file");
    Path web = dir.resolve("web.yml");
    Files.writeString(web, "basic_auth_users:\n  alice: plain\ntls_server_config:\n  cert: x\n");
    assertThat(refused("--web.config.file", web.toString(), "--listen", "127.0.0.1:0"))
        .contains(web + ": tls_server_config: missing one of key or key_file");
  }
}
