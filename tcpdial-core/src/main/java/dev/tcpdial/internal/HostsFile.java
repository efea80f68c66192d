package dev.tcpdial.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Set;

/**
 * The names of the hosts file ({@code /etc/hosts}, or the file of {@code -Djdk.net.hosts.file},
 * which the JDK then reads instead of the system's resolver), for {@link Lookups} to tell the
 * lookups that need no name server. A classification only: the answer still comes from the
 * resolver. Re-read when its size or time changes, looked at no more than once a second; at most
 * 1 MiB of it is read; a file that cannot be read has no names.
 */
final class HostsFile {
  private static final int MAX_BYTES = 1 << 20;
  private static final long RECHECK_NANOS = 1_000_000_000L;

  private record Seen(long checkedAt, Object stamp, Set<String> names) {}

  private final Path path;
  private volatile Seen seen = new Seen(Long.MIN_VALUE, null, Set.of());

  HostsFile(Path path) {
    this.path = path;
  }

  /** The file the JDK's resolver reads. */
  static HostsFile system() {
    String file = System.getProperty("jdk.net.hosts.file");
    return new HostsFile(Path.of(file != null && !file.isBlank() ? file : "/etc/hosts"));
  }

  /** Whether {@code name} (lower case, no trailing dot) is in the file. */
  boolean contains(String name) {
    return names().contains(name);
  }

  private Set<String> names() {
    Seen s = seen;
    long now = System.nanoTime();
    if (s.checkedAt != Long.MIN_VALUE && now - s.checkedAt < RECHECK_NANOS) {
      return s.names;
    }
    Object stamp;
    try {
      BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
      stamp = a.isRegularFile() ? a.size() + "/" + a.lastModifiedTime() + "/" + a.fileKey() : null;
    } catch (IOException | RuntimeException e) {
      stamp = null;
    }
    Set<String> names = java.util.Objects.equals(stamp, s.stamp) && s.stamp != null ? s.names
        : stamp == null ? Set.of() : read();
    seen = new Seen(now, stamp, names);
    return names;
  }

  private Set<String> read() {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(path)) {
      bytes = in.readNBytes(MAX_BYTES);
    } catch (IOException | RuntimeException e) {
      return Set.of();
    }
    Set<String> names = new HashSet<>();
    for (String line : new String(bytes, StandardCharsets.ISO_8859_1).split("\n")) {
      int hash = line.indexOf('#');
      String[] fields = (hash >= 0 ? line.substring(0, hash) : line).strip().split("\\s+");
      for (int i = 1; i < fields.length; i++) { // fields[0] is the address
        names.add(Lookups.normalize(fields[i]));
      }
    }
    return Set.copyOf(names);
  }
}
