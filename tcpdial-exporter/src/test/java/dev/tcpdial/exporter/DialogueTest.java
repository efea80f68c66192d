package dev.tcpdial.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.re2j.Pattern;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The dialogue against a scripted peer: what it sends is read, what it takes is recorded, and
 * a write from a given one on fails as a peer that closed or reset fails it.
 */
class DialogueTest {

  /** Sends {@code stream} then ends; takes {@code accepted} writes, then fails with {@code kind}. */
  static final class Scripted implements Dialogue.Peer {
    final ByteBuffer in;
    final int accepted;
    final Wire.Kind kind;
    final List<String> written = new ArrayList<>();

    Scripted(String stream, int accepted, Wire.Kind kind) {
      this.in = ByteBuffer.wrap(stream.getBytes(StandardCharsets.ISO_8859_1));
      this.accepted = accepted;
      this.kind = kind;
    }

    @Override
    public int read(ByteBuffer dst) {
      if (!in.hasRemaining()) {
        return -1;
      }
      int n = Math.min(dst.remaining(), in.remaining());
      dst.put(in.slice(in.position(), n));
      in.position(in.position() + n);
      return n;
    }

    @Override
    public void write(byte[] data) throws Wire.Failure {
      if (written.size() >= accepted) {
        throw new Wire.Failure(kind, kind == Wire.Kind.RESET ? "ECONNRESET" : "EPIPE");
      }
      written.add(new String(data, StandardCharsets.ISO_8859_1));
    }

    @Override
    public TlsStage.Result startTls() {
      return TlsStage.Result.of(TlsStage.ESTABLISHED, null);
    }
  }

  static QueryStep send(String s) {
    return new QueryStep(null, null, List.of(), s.getBytes(StandardCharsets.UTF_8), false);
  }

  static QueryStep expect(String re) {
    return new QueryStep(Pattern.compile(re), null, List.of(), null, false);
  }

  /** blackbox_exporter's rabbitmq module: four sends, then AMQP's protocol header. */
  static final List<QueryStep> RABBITMQ = List.of(send("HELO\r"), send("\r"), send("\r"),
      send("\r"), expect("AMQP"));

  @Test
  void aPeerThatAnsweredAndClosedBeforeTheLastSendsStillCompletes() {
    for (Wire.Kind kind : List.of(Wire.Kind.RESET, Wire.Kind.CLOSED)) {
      // RabbitMQ answers the first eight bytes with its header and closes
      Scripted rabbit = new Scripted("AMQP\0\0\t\1", 2, kind);
      Dialogue.Result r = Dialogue.run(RABBITMQ, rabbit);
      assertThat(r.outcome()).as(kind + ": " + r.transcript()).isEqualTo(Dialogue.COMPLETED);
      assertThat(r.step()).isZero();
      assertThat(rabbit.written).containsExactly("HELO\r\n", "\r\n");
      assertThat(r.transcript()).anyMatch(l -> l.startsWith("step 4: not sent"))
          .anyMatch(l -> l.contains("(matches \"AMQP\")"));
    }
  }

  @Test
  void whenNothingLaterMatchesTheDialogueFailsAtTheSendAsBlackboxDoes() {
    Scripted other = new Scripted("220 mail.test ESMTP\r\n", 2, Wire.Kind.RESET);
    Dialogue.Result r = Dialogue.run(RABBITMQ, other);
    assertThat(r.outcome()).isEqualTo(Dialogue.RESET);
    assertThat(r.step()).isEqualTo(3);
    // the send failed, not a regexp: as blackbox_exporter reports it
    assertThat(r.failedDueToRegex()).isZero();
    Scripted closed = new Scripted("", 0, Wire.Kind.CLOSED);
    Dialogue.Result c = Dialogue.run(List.of(send("HELO\r"), expect("AMQP")), closed);
    assertThat(c.outcome()).isEqualTo(Dialogue.CLOSED_BY_PEER);
    assertThat(c.step()).isEqualTo(1);
  }

  @Test
  void aStartTlsAfterAFailedSendFailsAtThatSend() {
    Scripted p = new Scripted("220 ok\r\n220 go\r\n", 0, Wire.Kind.RESET);
    Dialogue.Result r = Dialogue.run(List.of(expect("^220"), send("STARTTLS\r"),
        new QueryStep(Pattern.compile("^220"), null, List.of(), null, true)), p);
    assertThat(r.outcome()).isEqualTo(Dialogue.RESET);
    assertThat(r.step()).isEqualTo(2);
    assertThat(r.tls()).isNull();
  }

  @Test
  void aTimeoutOnASendEndsTheDialogueThere() {
    Scripted slow = new Scripted("AMQP\0\0\t\1", 1, Wire.Kind.TIMEOUT);
    Dialogue.Result r = Dialogue.run(RABBITMQ, slow);
    assertThat(r.outcome()).isEqualTo(Dialogue.TIMEOUT);
    assertThat(r.step()).isEqualTo(2);
  }
}
