package dev.tcpdial.internal;

import java.nio.charset.Charset;
import java.util.Locale;

/** What this JVM and operating system allow: native access, the OS, the C library's charset. */
public final class Platform {
  private Platform() {}

  private static final boolean LINUX =
      System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux");

  /** True on Linux. */
  public static boolean linux() {
    return LINUX;
  }

  /**
   * True when this code may call native functions without the JVM warning about it: native access
   * was granted to its module (or to ALL-UNNAMED for the class path).
   */
  public static boolean nativeAccess() {
    return Platform.class.getModule().isNativeAccessEnabled();
  }

  /** The charset the JDK decodes C strings with (strerror texts, file names). */
  static Charset jnuCharset() {
    String name = System.getProperty("sun.jnu.encoding");
    try {
      return name != null ? Charset.forName(name) : Charset.defaultCharset();
    } catch (RuntimeException e) {
      return Charset.defaultCharset();
    }
  }
}
