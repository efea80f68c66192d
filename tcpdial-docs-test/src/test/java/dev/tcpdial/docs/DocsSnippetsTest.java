package dev.tcpdial.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tcpdial.Dialer;
import dev.tcpdial.Target;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of README.md, of every module's README.md (a README.md one directory
 * down) and of every page of docs/ compiles against every module, and the short ones run on
 * loopback. The rules a snippet follows are those of {@link Snippet}; docs/testing.md repeats them.
 */
class DocsSnippetsTest {
  static final Path ROOT = Path.of("").toAbsolutePath().getParent();

  /** The listener the runnable snippets dial; every connection is accepted and closed. */
  static ServerSocket listener;

  static Thread acceptor;

  @TempDir static Path work;

  @BeforeAll
  static void listen() throws IOException {
    listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor = Thread.ofVirtual().start(() -> {
      while (!listener.isClosed()) {
        // Closed with a FIN, not a reset: a probe of a port that resets at once may end
        // before it saw the connection.
        try (Socket s = listener.accept()) {
          s.getInputStream().available();
        } catch (IOException e) {
          // closed
        }
      }
    });
  }

  @AfterAll
  static void close() throws IOException, InterruptedException {
    listener.close();
    acceptor.join(2_000);
  }

  /**
   * One {@code ```java} block and the HTML comment right before it, if any. A block with a
   * top-level {@code class}, {@code record}, {@code interface} or {@code enum} is a compilation
   * unit, compiled as it stands and run through its {@code main} when it has one; any other block
   * is a fragment: the body of {@code static void run(GIVEN...) throws THROWS} in a class that
   * imports {@link #DEFAULT_IMPORTS} and {@code imports}. The comment, {@code <!-- snippet
   * given="Iterator<Target> targets" throws="InterruptedException" imports="java.util.function.*"
   * run="no" -->}, declares (each attribute may repeat): variables the fragment uses and does not
   * declare, exceptions it lets escape (none by default: a fragment must handle what it throws, as
   * its reader's code would), imports, and {@code run="no"} for a snippet that must not run (it
   * needs a server the test does not have, or runs long). A fragment runs when every given
   * variable has a type {@link #value} knows; it must end within {@link #RUN_SECONDS} seconds
   * without an exception.
   */
  record Snippet(Path file, int line, String code, List<String> given, List<String> throwsList,
      List<String> imports, boolean run) {
    String name() {
      return ROOT.relativize(file) + ":" + line;
    }

    boolean unit() {
      return Pattern.compile("(?m)^(public |final |abstract )*(class|record|interface|enum) \\w+")
          .matcher(code).find();
    }
  }

  static final List<String> DEFAULT_IMPORTS = List.of("dev.tcpdial.*", "java.io.*", "java.net.*",
      "java.nio.channels.*", "java.time.*", "java.util.*", "java.util.concurrent.*");

  static final int RUN_SECONDS = 15;

  private static final Pattern BLOCK = Pattern.compile(
      "(?:<!--\\s*snippet\\b(?<attrs>(?:(?!-->)[^\\n])*)-->[ \\t]*\\n)?```java[ \\t]*\\n(?<code>.*?)\\n```",
      Pattern.DOTALL);
  private static final Pattern ATTR = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  /** README.md, every README.md one directory down, and every page of docs/. */
  static List<Path> pages() throws IOException {
    List<Path> files = new ArrayList<>();
    files.add(ROOT.resolve("README.md"));
    try (Stream<Path> dirs = Files.list(ROOT)) {
      dirs.filter(Files::isDirectory).map(d -> d.resolve("README.md")).filter(Files::isRegularFile)
          .sorted().forEach(files::add);
    }
    try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
      docs.filter(f -> f.getFileName().toString().endsWith(".md")).filter(Files::isRegularFile)
          .filter(f -> !files.contains(f)).sorted().forEach(files::add);
    }
    return files;
  }

  static List<Snippet> snippets(Path file) throws IOException {
    String text = Files.readString(file);
    List<Snippet> out = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      List<String> given = new ArrayList<>();
      List<String> throwsList = new ArrayList<>();
      List<String> imports = new ArrayList<>();
      boolean run = true;
      if (m.group("attrs") != null) {
        Matcher a = ATTR.matcher(m.group("attrs"));
        while (a.find()) {
          switch (a.group(1)) {
            case "given" -> given.add(a.group(2).trim());
            case "throws" -> throwsList.add(a.group(2).trim());
            case "imports" -> imports.add(a.group(2).trim());
            case "run" -> run = !a.group(2).equals("no");
            default -> throw new IllegalArgumentException(
                file + ": unknown snippet attribute " + a.group(1));
          }
        }
      }
      int line = (int) text.substring(0, m.start("code")).chars().filter(c -> c == '\n').count();
      out.add(new Snippet(file, line, m.group("code"), given, throwsList, imports, run));
    }
    return out;
  }

  @Test
  void theFrontPageAndTheDocsHaveSnippetsThatRun() throws IOException {
    assertThat(pages())
        .contains(ROOT.resolve("docs/library.md"), ROOT.resolve("docs/integrations.md"));
    assertThat(snippets(ROOT.resolve("README.md")))
        .anyMatch(s -> s.run() && !s.unit() && s.code().contains("Dialer.builder()"));
    assertThat(snippets(ROOT.resolve("docs/library.md")))
        .anyMatch(s -> s.run() && s.code().contains("probeEach(") && s.given().size() == 1);
  }

  @TestFactory
  Stream<DynamicTest> everySnippetCompilesAndTheShortOnesRun() throws IOException {
    List<Snippet> all = new ArrayList<>();
    for (Path f : pages()) {
      all.addAll(snippets(f));
    }
    return all.stream().map(s -> DynamicTest.dynamicTest(s.name(), () -> check(s, all.indexOf(s))));
  }

  static void check(Snippet s, int index) throws Exception {
    Path dir = Files.createDirectories(work.resolve("s" + index));
    Path src = Files.createDirectories(dir.resolve("src"));
    Path classes = Files.createDirectories(dir.resolve("classes"));
    String mainClass;
    if (s.unit()) {
      // a top-level type, public or not (the integrations' examples are package-private classes)
      Matcher m = Pattern.compile("(?m)^(?:public )?(?:final |abstract |sealed |non-sealed )*"
          + "(class|record|interface|enum) (\\w+)").matcher(s.code());
      String name = m.find() ? m.group(2) : "Snippet" + index;
      Matcher pkg = Pattern.compile("(?m)^package ([\\w.]+);").matcher(s.code());
      String prefix = pkg.find() ? pkg.group(1) + "." : "";
      Files.writeString(src.resolve(name + ".java"), s.code());
      mainClass = prefix + name;
    } else {
      StringBuilder b = new StringBuilder();
      for (String i : DEFAULT_IMPORTS) {
        b.append("import ").append(i).append(";\n");
      }
      for (String i : s.imports()) {
        for (String one : i.split(",")) {
          b.append("import ").append(one.trim()).append(";\n");
        }
      }
      b.append("@SuppressWarnings(\"unused\") final class Snippet {\n  static void run(")
          .append(String.join(", ", s.given())).append(")");
      if (!s.throwsList().isEmpty()) {
        b.append(" throws ").append(String.join(", ", s.throwsList()));
      }
      b.append(" {\n").append(s.code()).append("\n  }\n}\n");
      Files.writeString(src.resolve("Snippet.java"), b.toString());
      mainClass = "Snippet";
    }
    compile(s, src, classes);
    if (!s.run()) {
      return;
    }
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
        DocsSnippetsTest.class.getClassLoader())) {
      Class<?> c = loader.loadClass(mainClass);
      if (s.unit()) {
        Method main;
        try {
          main = c.getMethod("main", String[].class);
        } catch (NoSuchMethodException e) {
          return;
        }
        runBounded(s, () -> main.invoke(null, (Object) new String[0]));
        return;
      }
      Object[] values = new Object[s.given().size()];
      for (int i = 0; i < values.length; i++) {
        String g = s.given().get(i);
        String type = g.substring(0, g.lastIndexOf(' ')).trim();
        values[i] = value(type);
        if (values[i] == null) {
          return; // a type the test cannot supply: compiled only
        }
      }
      Method run = c.getDeclaredMethods()[0];
      for (Method m : c.getDeclaredMethods()) {
        if (m.getName().equals("run")) {
          run = m;
        }
      }
      Method target = run;
      target.setAccessible(true);
      try {
        runBounded(s, () -> target.invoke(null, values));
      } finally {
        for (Object v : values) {
          if (v instanceof AutoCloseable a) {
            a.close();
          }
        }
      }
    }
  }

  static void compile(Snippet s, Path src, Path classes) throws IOException {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-cp", cp,
        "--release", String.valueOf(Runtime.version().feature()), "-Xlint:all,-processing",
        "-proc:none", "-Werror", "-encoding", "UTF-8"));
    try (Stream<Path> files = Files.list(src)) {
      files.map(Path::toString).forEach(args::add);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int rc = javac.run(null, out, out, args.toArray(String[]::new));
    assertThat(rc).as("%s does not compile:%n%s", s.name(), out.toString(StandardCharsets.UTF_8))
        .isZero();
  }

  interface Body {
    void run() throws Exception;
  }

  static void runBounded(Snippet s, Body body) throws Exception {
    Throwable[] failure = new Throwable[1];
    Thread t = Thread.ofPlatform().daemon().name("snippet").start(() -> {
      try {
        body.run();
      } catch (InvocationTargetException e) {
        failure[0] = e.getCause();
      } catch (Throwable e) {
        failure[0] = e;
      }
    });
    if (!t.join(java.time.Duration.ofSeconds(RUN_SECONDS))) {
      t.interrupt();
      throw new AssertionError(s.name() + " still runs after " + RUN_SECONDS
          + " s: mark it run=\"no\" or make it short");
    }
    if (failure[0] != null) {
      throw new AssertionError(s.name() + " threw " + failure[0], failure[0]);
    }
  }

  /**
   * A value for a given variable of this type, or null when there is none: targets are the
   * loopback listener (which accepts) and, in lists, also a closed loopback port.
   */
  static Object value(String type) throws IOException {
    String t = type.replace(" ", "");
    int port = listener.getLocalPort();
    Target open = Target.parse("127.0.0.1:" + port);
    return switch (t) {
      case "Target" -> open;
      case "String" -> open.toString();
      case "int" -> port;
      case "InetSocketAddress", "SocketAddress" -> new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
      case "List<Target>", "Collection<Target>", "Iterable<Target>" -> List.of(open, closedTarget());
      case "Iterator<Target>" -> List.of(open, closedTarget()).iterator();
      case "Dialer" -> Dialer.builder().connectTimeout(java.time.Duration.ofSeconds(2)).build();
      default -> null;
    };
  }

  static Target closedTarget() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return Target.parse("127.0.0.1:" + s.getLocalPort());
    }
  }

  @Test
  void theConventionIsReadAsDocumented() throws IOException {
    Path f = work.resolve("README.md");
    Files.writeString(f, "x\n<!-- snippet given=\"Iterator<Target> targets\" throws=\"InterruptedException\""
        + " run=\"no\" -->\n```java\nfoo();\n```\n\n```java\npublic class A {}\n```\n");
    List<Snippet> s = snippets(f);
    assertThat(s).hasSize(2);
    assertThat(s.get(0).given()).containsExactly("Iterator<Target> targets");
    assertThat(s.get(0).throwsList()).containsExactly("InterruptedException");
    assertThat(s.get(0).run()).isFalse();
    assertThat(s.get(0).unit()).isFalse();
    assertThat(s.get(1).unit()).isTrue();
    assertThat(s.get(1).run()).isTrue();
  }
}
