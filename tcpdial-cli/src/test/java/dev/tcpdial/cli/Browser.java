package dev.tcpdial.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Headless Chromium inside a network namespace of its own with only {@code lo} up: whatever a page
 * tries to fetch from another host fails. Each run gets a fresh profile directory; every process
 * it starts is killed when it overruns. Needs root (ip netns) and Debian's {@code chromium}.
 */
final class Browser implements AutoCloseable {
  private final String ns;
  private final Path profile;

  private Browser(String ns, Path profile) {
    this.ns = ns;
    this.profile = profile;
  }

  /** Why a browser cannot run here, or null when it can. */
  static String unavailable() {
    if (!NamespaceScanTest.root()) {
      return "needs root to run the browser in a network namespace without a network; skipped";
    }
    if (!(new File("/usr/sbin/ip").canExecute() || new File("/sbin/ip").canExecute()
        || new File("/usr/bin/ip").canExecute())) {
      return "needs iproute2 (ip); skipped";
    }
    if (chromium() == null) {
      return "needs chromium (Debian package; ./test installs it as root); skipped";
    }
    return null;
  }

  static String chromium() {
    for (String p : new String[] {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
      if (new File(p).canExecute()) {
        return p;
      }
    }
    return null;
  }

  /** A namespace {@code tdpic<suffix><pid>} with lo up, removed again by {@link #close}. */
  static Browser open(String suffix) throws Exception {
    String ns = "tdpic" + suffix + ProcessHandle.current().pid() % 100000;
    NamespaceScanTest.exec(List.of("ip", "netns", "del", ns)); // a leftover of a killed run
    if (NamespaceScanTest.exec(List.of("ip", "netns", "add", ns)) != 0) {
      throw new IOException("ip netns add " + ns + " failed");
    }
    Browser b = new Browser(ns, Files.createTempDirectory("tcpdial-chromium"));
    if (NamespaceScanTest.exec(List.of("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"))
        != 0) {
      b.close();
      throw new IOException("ip link set lo up in " + ns + " failed");
    }
    return b;
  }

  String namespace() {
    return ns;
  }

  /** {@code cmd} prefixed to run inside the namespace. */
  List<String> inside(List<String> cmd) {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    all.addAll(cmd);
    return all;
  }

  /** The DOM after the page loaded and its scripts ran. */
  String dumpDom(Path html, String... flags) throws Exception {
    Path out = Files.createTempFile("tcpdial-dom", ".html");
    try {
      List<String> args = new ArrayList<>(List.of(flags));
      args.addAll(List.of("--dump-dom", html.toUri().toString()));
      run(args, out);
      return Files.readString(out, StandardCharsets.UTF_8);
    } finally {
      Files.deleteIfExists(out);
    }
  }

  /** A PNG of the page at {@code width} x {@code height} CSS pixels. */
  void screenshot(Path html, Path png, int width, int height) throws Exception {
    Files.deleteIfExists(png);
    run(List.of("--hide-scrollbars", "--screenshot=" + png.toAbsolutePath(),
        "--window-size=" + width + "," + height, html.toUri().toString()), null);
    if (!Files.isRegularFile(png)) {
      throw new IOException("chromium wrote no screenshot " + png);
    }
  }

  private void run(List<String> args, Path stdout) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(chromium(), "--headless", "--no-sandbox",
        "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
        "--user-data-dir=" + profile.toAbsolutePath()));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(inside(cmd)).redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.redirectOutput(stdout == null ? ProcessBuilder.Redirect.DISCARD
        : ProcessBuilder.Redirect.to(stdout.toFile()));
    Process p = pb.start();
    try {
      if (!p.waitFor(90, TimeUnit.SECONDS)) {
        throw new IOException("chromium did not finish in 90 s");
      }
    } finally {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }

  @Override
  public void close() throws IOException {
    try {
      NamespaceScanTest.exec(List.of("ip", "netns", "del", ns));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      throw new IOException("ip netns del " + ns + ": " + e.getMessage(), e);
    }
    try (Stream<Path> files = Files.walk(profile)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
