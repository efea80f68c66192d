package dev.tcpdial.exporter;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;

/**
 * A probe's connection after the connect: bytes in and out until one absolute deadline, in the
 * clear or, after {@link #handshake}, through TLS. Every way it can end is a {@link Failure} with
 * a {@link Kind} taken from the kernel's errno or the JDK's exception type, never from a message.
 *
 * <p>Owned by one thread (the probe's); an interrupt of that thread cancels what it waits for.
 * The channel is non-blocking; waits are on a {@link Selector} of the wire's own.
 */
final class Wire implements AutoCloseable {

  /** How an exchange ended early. */
  enum Kind {
    /** The deadline passed. */
    TIMEOUT,
    /** The peer reset the connection (ECONNRESET). */
    RESET,
    /** The peer closed its side (end of stream, or EPIPE on a write). */
    CLOSED,
    /** The probe's thread was interrupted (shutdown, a client gone). */
    CANCELLED,
    /** TLS failed on an established session (a bad record, an alert after the handshake). */
    TLS,
    /** Another errno, named in {@link Failure#errno}. */
    ERROR
  }

  /** An exchange that ended early; {@code errno} is the kernel's name when there was one. */
  static final class Failure extends Exception {
    private static final long serialVersionUID = 1L;
    final Kind kind;
    final String errno;

    Failure(Kind kind, String errno) {
      super(kind.name().toLowerCase(java.util.Locale.ROOT) + (errno == null ? "" : " " + errno),
          null, false, false);
      this.kind = kind;
      this.errno = errno;
    }
  }

  private static final int CHUNK = 16 * 1024;

  private final SocketChannel ch;
  private final long deadline;
  private final Selector selector;
  private final SelectionKey key;
  private final Arena arena;
  private final MemorySegment native_;
  private final MemorySegment state;
  private final int fd;
  /** The records that came in and went out during the handshake (for naming its failure). */
  private RecordSniffer inSniffer;
  private RecordSniffer outSniffer;
  private SSLEngine engine;
  private ByteBuffer netIn;
  private ByteBuffer netOut;
  private ByteBuffer appIn;

  /**
   * @param ch a connected channel; it is made non-blocking and closed by {@link #close}
   * @param deadline the probe's deadline, a {@link System#nanoTime} value
   */
  Wire(SocketChannel ch, long deadline) throws IOException {
    this.ch = ch;
    this.deadline = deadline;
    ch.configureBlocking(false);
    this.selector = Selector.open();
    this.key = ch.register(selector, 0);
    if (Sockets.available()) {
      arena = Arena.ofConfined();
      native_ = arena.allocate(CHUNK);
      state = arena.allocate(Sockets.stateSize());
      fd = Sockets.fd(ch);
    } else {
      arena = null;
      native_ = null;
      state = null;
      fd = -1;
    }
  }

  /** The deadline, a {@link System#nanoTime} value. */
  long deadline() {
    return deadline;
  }

  /** Whether a TLS session carries the exchange. */
  boolean secure() {
    return engine != null;
  }

  // ---- the clear ----

  /** Waits until the channel is ready for {@code ops} or the deadline passes. */
  private void await(int ops) throws Failure {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new Failure(Kind.TIMEOUT, null);
    }
    key.interestOps(ops);
    try {
      selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999)));
    } catch (ClosedSelectorException e) {
      throw new Failure(Kind.CANCELLED, null);
    } catch (IOException e) {
      throw new Failure(Kind.ERROR, null);
    }
    selector.selectedKeys().clear();
    if (Thread.currentThread().isInterrupted()) {
      throw new Failure(Kind.CANCELLED, null);
    }
  }

  /**
   * Reads what the peer sent, waiting for at least one byte.
   *
   * @return bytes read into {@code dst}, or -1 at the end of the stream
   */
  int readRaw(ByteBuffer dst) throws Failure {
    while (true) {
      int n = readOnce(dst);
      if (n != 0) {
        return n;
      }
      await(SelectionKey.OP_READ);
    }
  }

  private int readOnce(ByteBuffer dst) throws Failure {
    if (!dst.hasRemaining()) {
      throw new IllegalStateException("no room to read into");
    }
    if (Thread.currentThread().isInterrupted()) {
      throw new Failure(Kind.CANCELLED, null);
    }
    if (native_ == null) {
      try {
        return ch.read(dst);
      } catch (ClosedByInterruptException e) {
        throw new Failure(Kind.CANCELLED, null);
      } catch (IOException e) {
        throw new Failure(Kind.ERROR, null);
      }
    }
    int want = Math.min(dst.remaining(), CHUNK);
    long n = Sockets.io(false, fd, native_, want, state);
    if (n > 0) {
      dst.put(native_.asSlice(0, n).asByteBuffer());
      return (int) n;
    }
    if (n == 0) {
      return -1;
    }
    return (int) errno(-n, false);
  }

  /** Writes all of {@code src}. */
  void writeRaw(ByteBuffer src) throws Failure {
    while (src.hasRemaining()) {
      if (Thread.currentThread().isInterrupted()) {
        throw new Failure(Kind.CANCELLED, null);
      }
      int n;
      if (native_ == null) {
        try {
          n = ch.write(src);
        } catch (ClosedByInterruptException e) {
          throw new Failure(Kind.CANCELLED, null);
        } catch (IOException e) {
          throw new Failure(Kind.ERROR, null);
        }
      } else {
        int len = Math.min(src.remaining(), CHUNK);
        native_.asSlice(0, len).asByteBuffer().put(src.slice(src.position(), len));
        long w = Sockets.io(true, fd, native_, len, state);
        n = w >= 0 ? (int) w : (int) errno(-w, true);
        src.position(src.position() + n);
      }
      if (n == 0) {
        await(SelectionKey.OP_WRITE);
      }
    }
  }

  // 0 for "try again", else throws
  private static long errno(long e, boolean writing) throws Failure {
    if (e == Sockets.EAGAIN || e == Sockets.EINTR) {
      return 0;
    }
    if (e == Sockets.ECONNRESET) {
      throw new Failure(Kind.RESET, "ECONNRESET");
    }
    if (e == Sockets.EPIPE && writing) {
      throw new Failure(Kind.CLOSED, "EPIPE");
    }
    throw new Failure(e == Sockets.ETIMEDOUT ? Kind.TIMEOUT : Kind.ERROR,
        dev.tcpdial.Errno.of((int) e).name());
  }

  // ---- TLS ----

  /**
   * Runs a TLS handshake as client over this wire with {@code e}; afterwards {@link #read} and
   * {@link #write} go through the session.
   *
   * @throws Failure for the transport (timeout, reset, cancelled, end of stream)
   * @throws SSLException when TLS itself failed; {@link #inbound()} and {@link #outbound()}
   *     tell what came and went
   */
  void handshake(SSLEngine e) throws Failure, SSLException {
    engine = e;
    inSniffer = new RecordSniffer();
    outSniffer = new RecordSniffer();
    int packet = e.getSession().getPacketBufferSize();
    netIn = ByteBuffer.allocate(packet);
    netOut = ByteBuffer.allocate(packet);
    appIn = ByteBuffer.allocate(e.getSession().getApplicationBufferSize());
    appIn.flip();
    e.beginHandshake();
    try {
      pump(true);
    } catch (SSLException x) {
      flushAlert();
      throw x;
    }
  }

  /** What came in during the last handshake. */
  RecordSniffer inbound() {
    return inSniffer;
  }

  /** What went out during the last handshake. */
  RecordSniffer outbound() {
    return outSniffer;
  }

  // After a fatal error the engine holds the alert it wants to send: sniff it (for the name of a
  // failure found here) and send it, as a TLS client does, without waiting.
  private void flushAlert() {
    try {
      while (!engine.isOutboundDone()) {
        netOut.clear();
        SSLEngineResult r = engine.wrap(ByteBuffer.allocate(0), netOut);
        netOut.flip();
        if (netOut.hasRemaining()) {
          outSniffer.feed(netOut.duplicate());
          if (native_ != null) {
            int len = Math.min(netOut.remaining(), CHUNK);
            native_.asSlice(0, len).asByteBuffer().put(netOut.slice(netOut.position(), len));
            Sockets.io(true, fd, native_, len, state);
          } else {
            ch.write(netOut);
          }
        }
        if (r.bytesProduced() == 0) {
          break;
        }
      }
    } catch (IOException | RuntimeException ignored) {
      // the failure being reported is the first one
    }
  }

  /**
   * Drives the engine: the handshake until it ends ({@code handshaking}), or until some
   * application data or the end of the session is there.
   */
  private void pump(boolean handshaking) throws Failure, SSLException {
    while (true) {
      SSLEngineResult.HandshakeStatus hs = engine.getHandshakeStatus();
      switch (hs) {
        case NEED_TASK -> {
          Runnable t;
          while ((t = engine.getDelegatedTask()) != null) {
            t.run();
          }
        }
        case NEED_WRAP -> {
          netOut.clear();
          SSLEngineResult r = engine.wrap(ByteBuffer.allocate(0), netOut);
          netOut.flip();
          if (handshaking) {
            outSniffer.feed(netOut.duplicate());
          }
          writeRaw(netOut);
          if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
            return;
          }
        }
        case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
          if (!unwrapSome(handshaking)) {
            return;
          }
        }
        default -> {
          if (handshaking || appIn.hasRemaining()) {
            return;
          }
          if (!unwrapSome(false)) {
            return;
          }
          if (appIn.hasRemaining()) {
            return;
          }
        }
      }
    }
  }

  // One unwrap, reading from the wire when the engine needs more; false at the session's end.
  private boolean unwrapSome(boolean handshaking) throws Failure, SSLException {
    appIn.compact();
    try {
      while (true) {
        netIn.flip();
        SSLEngineResult r;
        try {
          r = engine.unwrap(netIn, appIn);
        } finally {
          netIn.compact();
        }
        switch (r.getStatus()) {
          case OK -> {
            return true;
          }
          case CLOSED -> {
            return false;
          }
          case BUFFER_OVERFLOW -> {
            ByteBuffer bigger = ByteBuffer.allocate(appIn.capacity() * 2);
            appIn.flip();
            bigger.put(appIn);
            appIn = bigger;
          }
          case BUFFER_UNDERFLOW -> {
            if (!netIn.hasRemaining()) {
              ByteBuffer bigger = ByteBuffer.allocate(netIn.capacity() * 2);
              netIn.flip();
              bigger.put(netIn);
              netIn = bigger;
            }
            int before = netIn.position();
            int n = readRaw(netIn);
            if (n < 0) {
              if (handshaking) {
                inSniffer.endOfStream();
              }
              throw new Failure(Kind.CLOSED, null);
            }
            if (handshaking) {
              inSniffer.feed(netIn.duplicate().position(before).limit(before + n));
            }
          }
        }
      }
    } finally {
      appIn.flip();
    }
  }

  // ---- what the dialogue uses ----

  /**
   * Reads some bytes (through TLS when it is on), waiting for at least one.
   *
   * @return bytes read, or -1 at the end of the stream (or of the TLS session)
   */
  int read(ByteBuffer dst) throws Failure {
    if (engine == null) {
      return readRaw(dst);
    }
    try {
      if (!appIn.hasRemaining()) {
        pump(false);
      }
    } catch (SSLException e) {
      throw new Failure(Kind.TLS, null);
    } catch (Failure f) {
      if (f.kind == Kind.CLOSED && !appIn.hasRemaining()) {
        return -1;
      }
      throw f;
    }
    if (!appIn.hasRemaining()) {
      return -1;
    }
    int n = Math.min(dst.remaining(), appIn.remaining());
    dst.put(appIn.slice(appIn.position(), n));
    appIn.position(appIn.position() + n);
    return n;
  }

  /** Writes all of {@code data} (through TLS when it is on). */
  void write(byte[] data) throws Failure {
    ByteBuffer src = ByteBuffer.wrap(data);
    if (engine == null) {
      writeRaw(src);
      return;
    }
    try {
      while (src.hasRemaining()) {
        netOut.clear();
        SSLEngineResult r = engine.wrap(src, netOut);
        netOut.flip();
        writeRaw(netOut);
        if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
          throw new Failure(Kind.CLOSED, null);
        }
      }
    } catch (SSLException e) {
      throw new Failure(Kind.TLS, null);
    }
  }

  /** Bytes TLS already decrypted and the reader did not take. */
  void discardBuffered() {
    if (appIn != null) {
      appIn.position(appIn.limit());
    }
  }

  @Override
  public void close() {
    try {
      selector.close();
    } catch (IOException ignored) {
      // nothing to keep
    }
    try {
      ch.close();
    } catch (IOException ignored) {
      // nothing to keep
    }
    if (arena != null) {
      arena.close();
    }
  }
}
