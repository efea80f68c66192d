package dev.tcpdial.socketfactory;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server of Debian's {@code postgresql} package, in a temporary data directory,
 * on a free port of 127.0.0.1, trusting local connections. As root it runs as the {@code
 * postgres} user (PostgreSQL refuses to run as root). {@link #close()} stops it and removes the
 * directory; skips the test class when the package is missing.
 */
final class PostgresServer implements AutoCloseable {
  final int port;
  private final Path dir;
  private final Path bin;
  private final boolean asPostgres;
  private boolean started;

  private PostgresServer(Path bin, Path dir, int port, boolean asPostgres) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.asPostgres = asPostgres;
  }

  static PostgresServer start() throws IOException, InterruptedException {
    Path bin = findBin();
    assumeTrue(bin != null, "PostgreSQL is not installed (Debian: apt-get install postgresql;"
        + " scripts/setup-test-deps.sh does it as root)");
    boolean root = "root".equals(System.getProperty("user.name"));
    Path dir = Files.createTempDirectory("tcpdial-pg-");
    int port;
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      port = s.getLocalPort();
    }
    PostgresServer pg = new PostgresServer(bin, dir, port, root);
    try {
      if (root) {
        run(List.of("chown", "postgres:postgres", dir.toString()));
      }
      pg.run("initdb", "-D", dir.resolve("data").toString(), "-A", "trust", "-U", "postgres",
          "--no-sync");
      pg.started = true;
      pg.run("pg_ctl", "-D", dir.resolve("data").toString(), "-w", "-t", "60", "-l",
          dir.resolve("log").toString(), "-o", "-p " + port + " -k " + dir
              + " -c listen_addresses=127.0.0.1 -c fsync=off", "start");
      return pg;
    } catch (IOException | RuntimeException | InterruptedException e) {
      pg.close();
      throw e;
    }
  }

  private static Path findBin() {
    try (Stream<Path> s = Files.list(Path.of("/usr/lib/postgresql"))) {
      return s.map(p -> p.resolve("bin")).filter(p -> Files.isExecutable(p.resolve("pg_ctl")))
          .max(Comparator.naturalOrder()).orElse(null);
    } catch (IOException e) {
      return null;
    }
  }

  private void run(String tool, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(bin.resolve(tool).toString());
    cmd.addAll(List.of(args));
    if (asPostgres) {
      StringBuilder line = new StringBuilder();
      for (String c : cmd) {
        line.append('\'').append(c.replace("'", "'\\''")).append("' ");
      }
      cmd = List.of("su", "postgres", "-s", "/bin/sh", "-c", line.toString());
    }
    run(cmd);
  }

  private static void run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out;
    try (var in = p.getInputStream()) {
      out = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", cmd) + ": no end after 90 s");
    }
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + ": exit " + p.exitValue() + ": " + out);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      if (started) {
        run("pg_ctl", "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while stopping PostgreSQL in " + dir, e);
    } finally {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
