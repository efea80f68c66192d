package dev.tcpdial.socketfactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The options file named by {@code -Dtcpdial.config}, read within bounds: it must be a regular
 * file (its type is asked of stat(2) before anything opens it, so a FIFO, which would block
 * open(2) until a writer comes, or a device such as /dev/zero, which never ends, is refused
 * unopened), at most {@value #MAX_BYTES} bytes (checked before and while reading), read within
 * {@value #MAX_SECONDS} s (a file replaced by a FIFO between the check and the open, or a stalled
 * network file system, costs one daemon thread, not the caller). An error names the file and
 * what is wrong with it, never a byte of its content.
 *
 * <p>pgjdbc makes a factory per connection: the options are kept while the file's size,
 * modification time and identity stay the same, so the file is read once, not per connection.
 */
final class OptionsFile {
  static final int MAX_BYTES = 64 * 1024;
  static final int MAX_SECONDS = 2;

  private record Read(Path path, Object fileKey, FileTime modified, long size, Properties options) {}

  private static volatile Read last;

  private OptionsFile() {}

  /** The options in {@code file}; a copy the caller may change. */
  static Properties read(Path file) {
    String name = printable(file.toString());
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(file, BasicFileAttributes.class); // stat(2): opens nothing
    } catch (IOException | SecurityException e) {
      throw fail(name, why(e));
    }
    if (!a.isRegularFile()) {
      throw fail(name, "not a regular file");
    }
    if (a.size() > MAX_BYTES) {
      throw fail(name, "larger than 64 KiB");
    }
    Read r = last;
    if (r != null && r.path.equals(file) && r.size == a.size() && r.modified.equals(
        a.lastModifiedTime()) && java.util.Objects.equals(r.fileKey, a.fileKey())) {
      return copy(r.options);
    }
    byte[] bytes = readBounded(file, name);
    if (bytes.length > MAX_BYTES) {
      throw fail(name, "larger than 64 KiB");
    }
    Properties p = new Properties();
    try {
      p.load(new ByteArrayInputStream(bytes));
    } catch (IOException | IllegalArgumentException e) {
      throw fail(name, "not a properties file (a malformed \\uXXXX escape)");
    }
    last = new Read(file, a.fileKey(), a.lastModifiedTime(), a.size(), copy(p));
    return p;
  }

  private static Properties copy(Properties p) {
    Properties c = new Properties();
    c.putAll(p);
    return c;
  }

  // Up to one byte more than allowed, so an oversized file is told from a full one.
  private static byte[] readBounded(Path file, String name) {
    CompletableFuture<byte[]> f = new CompletableFuture<>();
    Thread reader = Thread.ofPlatform().daemon().name("tcpdial-options-file").start(() -> {
      try (InputStream in = Files.newInputStream(file)) {
        f.complete(in.readNBytes(MAX_BYTES + 1));
      } catch (IOException | RuntimeException e) {
        f.completeExceptionally(e);
      }
    });
    try {
      return f.get(MAX_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      reader.interrupt(); // ends a read; an open(2) blocked on a FIFO ends when a writer comes
      throw fail(name, "not read within " + MAX_SECONDS + " s");
    } catch (ExecutionException e) {
      throw fail(name, why(e.getCause()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw fail(name, "interrupted while reading it");
    }
  }

  // The exception's kind only: its message may hold a path or more.
  private static String why(Throwable e) {
    if (e instanceof NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof AccessDeniedException || e instanceof SecurityException) {
      return "permission denied";
    }
    return "cannot read it (" + e.getClass().getSimpleName() + ")";
  }

  private static IllegalArgumentException fail(String name, String why) {
    return new IllegalArgumentException(
        "cannot read tcpdial options from " + name + " (-Dtcpdial.config): " + why);
  }

  /** {@code name} on one line: control characters as {@code ?}. */
  static String printable(String name) {
    StringBuilder b = new StringBuilder(name.length());
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      b.append(c < 0x20 || c == 0x7f ? '?' : c);
    }
    return b.toString();
  }
}
