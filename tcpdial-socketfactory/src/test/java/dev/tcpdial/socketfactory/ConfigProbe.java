package dev.tcpdial.socketfactory;

/**
 * Run in a child JVM with a small heap and {@code -Dtcpdial.config=FILE}: makes the default
 * factory and prints {@code ok} or {@code error: MESSAGE} (the message's lines joined with |).
 */
final class ConfigProbe {
  private ConfigProbe() {}

  public static void main(String[] args) {
    try {
      new DialingSocketFactory();
      System.out.println("ok");
    } catch (IllegalArgumentException e) {
      System.out.println("error: " + String.valueOf(e.getMessage()).replace("\n", "|"));
    }
  }
}
