package dev.tcpdial.socketfactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.tcpdial.DialException;
import dev.tcpdial.Dialer;
import dev.tcpdial.Errno;
import dev.tcpdial.Outcome;
import dev.tcpdial.Resolver;
import dev.tcpdial.SilentPeer;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * pgjdbc against a real PostgreSQL, connected through {@link DialingSocketFactory} named in the
 * URL, as a user would: a query, a read timeout, a refused port (in English and German).
 */
class PgjdbcTest {
  static PostgresServer pg;
  static SilentPeer silent;

  @BeforeAll
  static void start() throws Exception {
    pg = PostgresServer.start();
    silent = new SilentPeer(new InetSocketAddress("127.0.0.2", pg.port));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (silent != null) {
        silent.close();
      }
    } finally {
      if (pg != null) {
        pg.close();
      }
    }
  }

  /**
   * What a user would name in the URL to give the factory a dialer of their own: here one whose
   * resolver maps {@code pg-silent-first.test} to a silent address, then the server's.
   */
  public static final class SilentFirstFactory extends DialingSocketFactory {
    /** The factory pgjdbc instantiates by name. */
    public SilentFirstFactory() {
      super(Dialer.builder().resolver(Resolver.of(Map.of("pg-silent-first.test", List.of(
          InetAddress.ofLiteral("127.0.0.2"), InetAddress.ofLiteral("127.0.0.1"))))).build());
    }
  }

  static String url(int port) {
    // localhost: every address the hosts file gives it, raced by Happy Eyeballs
    return "jdbc:postgresql://localhost:" + port + "/postgres?user=postgres&sslmode=disable"
        + "&connectTimeout=5&socketFactory=" + DialingSocketFactory.class.getName();
  }

  static DialException dialException(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof DialException d) {
        return d;
      }
    }
    return null;
  }

  @Test
  void selectOneThroughTheFactory() throws SQLException {
    try (Connection c = DriverManager.getConnection(url(pg.port));
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("select 1")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isEqualTo(1);
    }
  }

  @Test
  void silentFirstAddressConnectsInAboutTheAttemptDelay() throws SQLException {
    String url = "jdbc:postgresql://pg-silent-first.test:" + pg.port + "/postgres?user=postgres"
        + "&sslmode=disable&connectTimeout=5&socketFactory=" + SilentFirstFactory.class.getName();
    DriverManager.getConnection(url).close(); // class loading, not timed
    long t0 = System.nanoTime();
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("select 1")) {
      double ms = (System.nanoTime() - t0) / 1e6;
      // Stock pgjdbc dials only the first address the JDK gives it: here a 5 s timeout.
      System.out.printf("pgjdbc: silent first address, connected and queried in %.1f ms"
          + " (attempt delay 250 ms)%n", ms);
      assertThat(rs.next()).isTrue();
      assertThat(ms).isBetween(240.0, 1500.0);
    }
  }

  @Test
  void socketTimeoutEndsAQueryThatTakesLonger() throws SQLException {
    // pgjdbc's socketTimeout is setSoTimeout on our socket: the read must time out.
    long t0 = System.nanoTime();
    try (Connection c = DriverManager.getConnection(url(pg.port) + "&socketTimeout=1");
        Statement st = c.createStatement()) {
      assertThatThrownBy(() -> st.execute("select pg_sleep(5)")).isInstanceOf(SQLException.class)
          .cause().isInstanceOf(java.net.SocketTimeoutException.class);
    }
    assertThat((System.nanoTime() - t0) / 1e9).isLessThan(4.0);
  }

  @Test
  void refusedPortNamesTheOutcome() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      closed = s.getLocalPort();
    }
    SQLException e = org.junit.jupiter.api.Assertions.assertThrows(SQLException.class,
        () -> DriverManager.getConnection(url(closed)).close());
    DialException d = dialException(e);
    assertThat(d).as("the cause chain of %s", e).isNotNull();
    assertThat(d.outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(d.errno()).isEqualTo(Errno.ECONNREFUSED);
    assertThat(d.result().attempts()).isNotEmpty()
        .allSatisfy(a -> assertThat(a.outcome()).isEqualTo(Outcome.REFUSED));
    assertThat(e.getCause()).isInstanceOf(ConnectException.class); // pgjdbc's "refused" message
  }

  @Test
  void optionsInTheUrlReachTheFactory() {
    // pgjdbc hands its connection properties to DialingSocketFactory(Properties): an IPv4
    // literal with family=ipv6 leaves no address to dial
    SQLException e = org.junit.jupiter.api.Assertions.assertThrows(SQLException.class,
        () -> DriverManager.getConnection(url(pg.port).replace("localhost", "127.0.0.1")
            + "&tcpdial.family=ipv6").close());
    DialException d = dialException(e);
    assertThat(d).as("the cause chain of %s", e).isNotNull();
    assertThat(d.outcome()).isEqualTo(Outcome.RESOLUTION_FAILED);
  }

  @Test
  void aUrlCannotMakeTheFactoryReadAFile() throws Exception {
    Path dir = Files.createTempDirectory("tcpdial-pg-config-");
    Path secret = Files.writeString(dir.resolve("secret"), "tcpdial.family=hunter2\n");
    Path fifo = dir.resolve("fifo");
    assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
    try {
      List<String> answers = new ArrayList<>();
      for (String file : List.of(secret.toString(), dir.resolve("missing").toString(),
          "/dev/zero", fifo.toString())) {
        String url = url(pg.port) + "&tcpdial.config="
            + URLEncoder.encode(file, StandardCharsets.UTF_8);
        long t0 = System.nanoTime();
        SQLException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
            () -> assertThrows(SQLException.class, () -> DriverManager.getConnection(url).close()),
            file);
        assertThat((System.nanoTime() - t0) / 1e6).as("refused at once: %s", file)
            .isLessThan(2_000.0);
        StringBuilder chain = new StringBuilder();
        for (Throwable c = e; c != null; c = c.getCause()) {
          chain.append(c.getClass().getName()).append(": ").append(c.getMessage()).append('\n');
        }
        assertThat(chain.toString()).as(file).doesNotContain("hunter2").doesNotContain(file)
            .contains("tcpdial.config is taken from the system property only");
        answers.add(chain.toString());
      }
      assertThat(answers).as("the same answer whatever the file: no oracle").hasSize(4)
          .containsOnly(answers.get(0));
    } finally {
      try (FileChannel unblock = FileChannel.open(fifo, StandardOpenOption.READ,
          StandardOpenOption.WRITE)) {
        unblock.size(); // a reader blocked opening the FIFO (the defect) returns
      }
      for (Path p : List.of(secret, fifo, dir)) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Test
  void refusedPortUnderAGermanLocale() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      closed = s.getLocalPort();
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
        "-Duser.language=de", "-cp", System.getProperty("java.class.path"),
        PgRefusedProbe.class.getName(), Integer.toString(closed));
    pb.environment().put("LC_ALL", "de_DE.UTF-8");
    pb.environment().put("LANG", "de_DE.UTF-8");
    pb.redirectErrorStream(true);
    Process p = pb.start();
    List<String> lines = new ArrayList<>();
    try (var r = p.inputReader()) {
      r.lines().forEach(lines::add);
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String jdk = lines.stream().filter(l -> l.startsWith("jdk-message ")).findFirst().orElse("");
    Assumptions.assumeFalse(jdk.equals("jdk-message Connection refused"),
        "glibc's German translations are not installed (Debian: apt-get install locales libc-l10n;"
            + " locale-gen de_DE.UTF-8): nothing to prove");
    assertThat(jdk).isEqualTo("jdk-message Verbindungsaufbau abgelehnt");
    assertThat(lines).as("%s", lines).contains("dial refused ECONNREFUSED");
  }
}
