package dev.tcpdial;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class OutcomeTest {
  @Test
  void labelsAreTheDocumentedNames() {
    assertThat(Arrays.stream(Outcome.values()).map(Outcome::label)).containsExactly(
        "connected", "refused", "timeout", "host_unreachable", "network_unreachable", "prohibited",
        "no_local_address", "local_resources", "resolution_failed", "cancelled", "error");
    for (Outcome o : Outcome.values()) {
      assertThat(Outcome.fromLabel(o.label())).isEqualTo(o);
      assertThat(o.explanation()).isNotBlank().doesNotContain("\n");
    }
    assertThat(Outcome.TIMEOUT.explanation()).contains("127 s");
  }

  @Test
  void errnoTableHasLinuxNumbers() {
    assertThat(Errno.ECONNREFUSED.number()).isEqualTo(111);
    assertThat(Errno.ETIMEDOUT.number()).isEqualTo(110);
    assertThat(Errno.EHOSTUNREACH.number()).isEqualTo(113);
    assertThat(Errno.ENETUNREACH.number()).isEqualTo(101);
    assertThat(Errno.EADDRNOTAVAIL.number()).isEqualTo(99);
    assertThat(Errno.EACCES.number()).isEqualTo(13);
    assertThat(Errno.of(113)).isEqualTo(Errno.EHOSTUNREACH);
    assertThat(Errno.of(4095).name()).isEqualTo("E4095");
    assertThat(Errno.named("econnrefused")).isEqualTo(Errno.ECONNREFUSED);
    assertThat(Errno.EHOSTUNREACH.text()).isEqualTo("No route to host");
  }
}
