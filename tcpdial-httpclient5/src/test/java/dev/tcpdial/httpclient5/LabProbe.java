package dev.tcpdial.httpclient5;

import dev.tcpdial.Dialer;
import java.io.IOException;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;

/**
 * Run inside a network namespace by {@link HttpClient5LabTest}: GETs every URI given as an
 * argument through the tcpdial operator and prints one line per URI: {@code URI exception-class
 * outcome errno}.
 */
final class LabProbe {
  private LabProbe() {}

  public static void main(String[] args) throws IOException {
    try (CloseableHttpClient client = HttpClients.custom().setConnectionManager(
        TcpdialConnectionOperator.poolingManagerBuilder(Dialer.ofDefaults()).build()).build()) {
      for (String uri : args) {
        try {
          client.execute(new HttpGet(uri), r -> r.getCode());
          System.out.println(uri + " connected");
        } catch (IOException e) {
          String dial = e instanceof DialFailure f
              ? f.result().outcome().label() + " " + f.result().errno().name() : "no-dial-result";
          System.out.println(uri + " " + e.getClass().getSimpleName() + " " + dial);
        }
      }
    }
  }
}
