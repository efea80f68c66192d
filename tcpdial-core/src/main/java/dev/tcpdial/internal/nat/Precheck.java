package dev.tcpdial.internal.nat;

import dev.tcpdial.internal.Platform;

/** Why the native engine cannot run here, known without linking anything; null when it may. */
final class Precheck {
  private Precheck() {}

  static final String WHY = why();

  /** True when native access is all the native engine lacks here: a JVM flag would give it. */
  static final boolean ONLY_NATIVE_ACCESS_MISSING =
      Platform.linux() && Abi.ARCH != null && !Platform.nativeAccess();

  private static String why() {
    if (!Platform.linux()) {
      return "the native engine needs Linux (this is " + System.getProperty("os.name") + ")";
    }
    if (Abi.ARCH == null) {
      return "the native engine supports x86_64 and aarch64 (this is "
          + System.getProperty("os.arch") + ")";
    }
    if (!Platform.nativeAccess()) {
      return "the native engine needs native access: run java with"
          + " --enable-native-access=dev.tcpdial (or =ALL-UNNAMED on the class path)";
    }
    return null;
  }
}
