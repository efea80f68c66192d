package dev.tcpdial.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the kernel says about this process: CPU time, resident memory, descriptors. Linux only. */
final class Proc {
  private Proc() {}

  private static final double TICKS_PER_SECOND = 100.0; // USER_HZ on every Linux of interest

  /** User plus system CPU seconds of the whole process (every thread), from /proc/self/stat. */
  static double cpuSeconds() {
    try {
      String s = Files.readString(Path.of("/proc/self/stat"));
      // Fields after "(comm)": state is field 3, utime field 14, stime field 15.
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      long utime = Long.parseLong(f[11]);
      long stime = Long.parseLong(f[12]);
      return (utime + stime) / TICKS_PER_SECOND;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** A line of /proc/self/status in kB ({@code VmHWM}, {@code VmRSS}), or -1. */
  static long statusKb(String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(key + ":")) {
          return Long.parseLong(line.substring(key.length() + 1).replace("kB", "").strip());
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return -1;
  }

  /** Peak resident set size in kB. */
  static long peakRssKb() {
    return statusKb("VmHWM");
  }

  /** Current resident set size in kB. */
  static long rssKb() {
    return statusKb("VmRSS");
  }

  /** Open descriptors of this process. */
  static int openFds() {
    try (var s = Files.list(Path.of("/proc/self/fd"))) {
      return (int) s.count();
    } catch (IOException e) {
      return -1;
    }
  }

  /** The soft limit on open descriptors ("Max open files"), or -1. */
  static long fdLimit() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
        if (line.startsWith("Max open files")) {
          String[] f = line.substring("Max open files".length()).strip().split("\\s+");
          return Long.parseLong(f[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return -1;
  }
}
