package dev.tcpdial.socketfactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tcpdial.DialException;
import dev.tcpdial.Outcome;
import java.io.IOException;
import java.net.UnknownHostException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The options file of {@link DialingSocketFactory}: named by the system property only, read
 * within bounds (a regular file, at most 64 KiB, a few seconds), its content never quoted in an
 * error. The hostile files (a FIFO, /dev/zero) are tried in child JVMs with a small heap, so a
 * hang or an endless read fails the test instead of the build.
 */
class ConfigFileTest {
  static final String SECRET = "hunter2";
  Path dir;
  String before;

  @BeforeEach
  void setUp() throws IOException {
    dir = Files.createTempDirectory("tcpdial-config-");
    before = System.getProperty(DialingSocketFactory.CONFIG_PROPERTY);
    System.clearProperty(DialingSocketFactory.CONFIG_PROPERTY);
  }

  @AfterEach
  void tearDown() throws IOException {
    if (before == null) {
      System.clearProperty(DialingSocketFactory.CONFIG_PROPERTY);
    } else {
      System.setProperty(DialingSocketFactory.CONFIG_PROPERTY, before);
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private Path file(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content, StandardCharsets.ISO_8859_1);
  }

  private Path fifo(String name) throws Exception {
    Path p = dir.resolve(name);
    Process mk = new ProcessBuilder("mkfifo", p.toString()).redirectErrorStream(true).start();
    assertThat(mk.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(mk.exitValue()).as("mkfifo").isZero();
    return p;
  }

  private static String chain(Throwable t) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      b.append(c).append(" <- ");
    }
    return b.toString();
  }

  private static IllegalArgumentException refusedWith(String file) {
    System.setProperty(DialingSocketFactory.CONFIG_PROPERTY, file);
    return assertThrows(IllegalArgumentException.class, DialingSocketFactory::new);
  }

  @Test
  void theFileNamedByTheSystemPropertyIsRead() throws Exception {
    Path f = file("ok.properties", "# options\ntcpdial.family = ipv6\ntcpdial.attemptDelay=100ms\n"
        + "other.key=" + SECRET + "\n");
    System.setProperty(DialingSocketFactory.CONFIG_PROPERTY, f.toString());
    // IPv6 only: the IPv4 literal leaves nothing to dial, and nothing is sent
    UnknownHostException e = assertThrows(UnknownHostException.class,
        () -> new DialingSocketFactory().createSocket("127.0.0.1", 9));
    assertThat(((DialException) e.getCause()).outcome()).isEqualTo(Outcome.RESOLUTION_FAILED);
    Properties given = new Properties();
    given.setProperty("tcpdial.family", "ipv4"); // the client's properties win over the file's
    given.setProperty(DialingSocketFactory.CONFIG_PROPERTY, f.toString()); // the same: allowed
    assertThat(new DialingSocketFactory(given).dialer()).isNotNull();
  }

  @Test
  void theClientsPropertiesCannotNameAFile() throws Exception {
    List<String> files = List.of(file("secret", "tcpdial.family=" + SECRET + "\n").toString(),
        dir.resolve("missing").toString(), fifo("fifo").toString(), "/dev/zero", dir.toString());
    List<String> messages = new ArrayList<>();
    for (String f : files) {
      Properties url = new Properties(); // as pgjdbc hands over a URL's parameters
      url.setProperty(DialingSocketFactory.CONFIG_PROPERTY, f);
      long t0 = System.nanoTime();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new DialingSocketFactory(url));
      assertThat((System.nanoTime() - t0) / 1e6).as("refused at once: %s", f).isLessThan(500.0);
      assertThat(chain(e)).doesNotContain(SECRET).doesNotContain(f);
      messages.add(e.getMessage());
    }
    assertThat(messages).as("one answer whatever the file is: no oracle").containsOnly(
        "tcpdial.config is taken from the system property only (-Dtcpdial.config=FILE), not from"
            + " the client's properties");
  }

  @Test
  void valuesFromTheFileAreNeverQuoted() throws Exception {
    for (String line : List.of("tcpdial.family=" + SECRET, "tcpdial.attemptDelay=" + SECRET,
        "tcpdial.deadline=P" + SECRET, "tcpdial.retries=" + SECRET, "tcpdial.synRetries=999"
            + SECRET, "tcpdial.synRetries=999", "tcpdial." + SECRET + "=1")) {
      Path f = file("bad.properties", "tcpdial.connectTimeout=2s\n" + line + "\n");
      IllegalArgumentException e = refusedWith(f.toString());
      assertThat(chain(e)).as(line).doesNotContain(SECRET).doesNotContain("999");
      assertThat(e.getMessage()).as(line).startsWith("bad tcpdial option in " + f + ": ")
          .doesNotContain("\n");
    }
    Path f = file("bad.properties", "tcpdial.family=" + SECRET + "\n");
    assertThat(refusedWith(f.toString()).getMessage()).isEqualTo("bad tcpdial option in " + f
        + ": tcpdial.family must be any, ipv4 or ipv6");
    // a value given by the client itself is quoted back to it
    Properties own = new Properties();
    own.setProperty("tcpdial.family", "sideways");
    System.clearProperty(DialingSocketFactory.CONFIG_PROPERTY);
    assertThat(assertThrows(IllegalArgumentException.class, () -> new DialingSocketFactory(own))
        .getMessage()).startsWith("bad tcpdial option tcpdial.family=sideways: ");
  }

  @Test
  void whatIsNotASmallRegularFileIsRefusedBeforeReading() throws Exception {
    Path big = file("big.properties", ("# " + "x".repeat(1021) + "\n").repeat(65));
    assertThat(refusedWith(big.toString()).getMessage()).isEqualTo("cannot read tcpdial options"
        + " from " + big + " (-Dtcpdial.config): larger than 64 KiB");
    assertThat(refusedWith(dir.toString()).getMessage()).isEqualTo("cannot read tcpdial options"
        + " from " + dir + " (-Dtcpdial.config): not a regular file");
    Path missing = dir.resolve("missing");
    assertThat(refusedWith(missing.toString()).getMessage()).isEqualTo(
        "cannot read tcpdial options from " + missing + " (-Dtcpdial.config): no such file");
  }

  /** The factory made in a child JVM with a 48 MB heap; its one line of output, and how long. */
  private static String[] inChild(String file) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Xmx48m", "-Xshare:auto",
        "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
        "-D" + DialingSocketFactory.CONFIG_PROPERTY + "=" + file,
        "-cp", System.getProperty("java.class.path"), ConfigProbe.class.getName())
        .redirectErrorStream(true).start();
    long t0 = System.nanoTime();
    boolean ended = p.waitFor(20, TimeUnit.SECONDS);
    double s = (System.nanoTime() - t0) / 1e9;
    if (!ended) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      return new String[] {"no end after 20 s", Double.toString(s)};
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    return new String[] {out, Double.toString(s)};
  }

  @Test
  void aFifoOrADeviceNeitherHangsNorExhaustsTheHeap() throws Exception {
    Path fifo = fifo("options.fifo");
    try {
      for (String f : List.of(fifo.toString(), "/dev/zero")) {
        String[] r = inChild(f);
        assertThat(r[0]).as(f).isEqualTo("error: cannot read tcpdial options from " + f
            + " (-Dtcpdial.config): not a regular file");
        assertThat(Double.parseDouble(r[1])).as("seconds, %s", f).isLessThan(10.0);
      }
    } finally {
      // A reader blocked in open(2) of the FIFO (the defect) returns once a writer exists;
      // O_RDWR never blocks on Linux.
      try (FileChannel unblock = FileChannel.open(fifo, StandardOpenOption.READ,
          StandardOpenOption.WRITE)) {
        unblock.size();
      }
    }
  }
}
