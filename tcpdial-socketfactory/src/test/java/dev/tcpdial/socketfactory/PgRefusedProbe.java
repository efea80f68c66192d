package dev.tcpdial.socketfactory;

import dev.tcpdial.DialException;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * Run in a child JVM (the locale test): connects pgjdbc through {@link DialingSocketFactory} to
 * the refused port given as argument and prints the JDK's message for a refused connect, the
 * SQLException's message and the DialException's outcome and errno names.
 */
final class PgRefusedProbe {
  private PgRefusedProbe() {}

  public static void main(String[] args) {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])));
    } catch (java.io.IOException e) {
      System.out.println("jdk-message " + e.getMessage());
    }
    try {
      DriverManager.getConnection(PgjdbcTest.url(Integer.parseInt(args[0]))).close();
      System.out.println("connected?!");
    } catch (SQLException e) {
      System.out.println("sql-message " + e.getMessage());
      DialException d = PgjdbcTest.dialException(e);
      System.out.println(d == null ? "no DialException"
          : "dial " + d.outcome().label() + " " + d.errno().name());
    }
  }
}
