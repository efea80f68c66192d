package dev.tcpdial.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * The probe's engines on any bytes: the {@code query_response} dialogue against a peer that sends
 * whatever the input says, and the TLS configuration's PEM reading. An outcome from the
 * documented set, or the documented exception; never another exception, never a hang.
 */
class ProbeFuzzTest {
  static final Set<String> OUTCOMES = Set.of(Dialogue.COMPLETED, Dialogue.EXPECT_MISMATCH,
      Dialogue.BYTES_MISMATCH, Dialogue.CLOSED_BY_PEER, Dialogue.LINE_TOO_LONG,
      Dialogue.STARTTLS_FAILED);

  /**
   * Line 1: a regexp; line 2: a send template; line 3: expect_bytes; the rest: what the peer
   * sends (then it closes).
   */
  @FuzzTest
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void dialogue(byte[] input) {
    String[] parts = new String(input, StandardCharsets.ISO_8859_1).split("\n", 4);
    if (parts.length < 4) {
      return;
    }
    Pattern re;
    try {
      re = Pattern.compile(new String(parts[0].getBytes(StandardCharsets.ISO_8859_1),
          StandardCharsets.UTF_8));
    } catch (PatternSyntaxException e) {
      return;
    }
    byte[] stream = parts[3].getBytes(StandardCharsets.ISO_8859_1);
    byte[] send = parts[1].getBytes(StandardCharsets.ISO_8859_1);
    byte[] bytes = parts[2].isEmpty() ? null : parts[2].getBytes(StandardCharsets.ISO_8859_1);
    List<QueryStep> steps = List.of(
        new QueryStep(re, null, List.of(new QueryStep.Label("l", parts[1])), send, false),
        new QueryStep(null, bytes, List.of(), null, true),
        new QueryStep(re, null, List.of(), send, false));
    ByteArrayPeer peer = new ByteArrayPeer(stream);
    Dialogue.Result r = Dialogue.run(steps, peer);
    assertThat(r.outcome()).isIn(OUTCOMES);
    assertThat(r.transcript()).allSatisfy(l -> assertThat(l).doesNotContain("\n"));
    assertThat(r.failedDueToRegex()).isBetween(0, 1);
    assertThat(r.failedDueToBytes()).isBetween(0, 1);
    if (r.outcome().equals(Dialogue.COMPLETED)) {
      assertThat(r.tls()).isNotNull();
    }
  }

  /** PEM text as {@code tls_config} files hold it: certificates, keys, or a clear refusal. */
  @FuzzTest
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void tlsFiles(byte[] input) {
    String pem = new String(input, StandardCharsets.ISO_8859_1);
    try {
      assertThat(Pem.certificates(pem, "ca_file")).isNotEmpty();
    } catch (GeneralSecurityException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
    try {
      assertThat(Pem.privateKey(pem, "key_file")).isNotNull();
    } catch (GeneralSecurityException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
  }

  /** A peer that sends {@code stream} in pieces of up to 7 bytes, then closes; STARTTLS works. */
  static final class ByteArrayPeer implements Dialogue.Peer {
    private final byte[] stream;
    private int at;

    ByteArrayPeer(byte[] stream) {
      this.stream = stream;
    }

    @Override
    public int read(ByteBuffer dst) {
      if (at >= stream.length) {
        return -1;
      }
      int n = Math.min(Math.min(7, dst.remaining()), stream.length - at);
      dst.put(Arrays.copyOfRange(stream, at, at + n));
      at += n;
      return n;
    }

    @Override
    public void write(byte[] data) {
      // the peer does not listen
    }

    @Override
    public TlsStage.Result startTls() {
      return new TlsStage.Result(TlsStage.ESTABLISHED, "", "TLS 1.3", List.of(), List.of(), null);
    }
  }
}
