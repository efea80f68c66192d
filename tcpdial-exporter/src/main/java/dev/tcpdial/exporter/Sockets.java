package dev.tcpdial.exporter;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.nio.channels.SocketChannel;

/**
 * {@code recv(2)} and {@code send(2)} on a connected channel's descriptor, so a failed read or
 * write names the kernel's errno ({@code ECONNRESET}, {@code EPIPE}, {@code ETIMEDOUT}) instead
 * of a JDK message ("Connection reset" is a fixed English text that hides the errno). Needs
 * Linux, native access and {@code --add-exports java.base/sun.nio.ch} (the launcher and the
 * tests grant both); elsewhere {@link #available()} is false and {@link Wire} reads through the
 * channel, naming a failed read {@code error}.
 */
final class Sockets {
  private Sockets() {}

  /** errno values a probe's reads and writes name. */
  static final int EAGAIN = 11;
  static final int EINTR = 4;
  static final int ECONNRESET = 104;
  static final int EPIPE = 32;
  static final int ETIMEDOUT = 110;

  private static final int MSG_NOSIGNAL = 0x4000;
  private static final MethodHandle RECV;
  private static final MethodHandle SEND;
  private static final MethodHandle FD;
  private static final VarHandle ERRNO;
  private static final long STATE_SIZE;

  static {
    MethodHandle recv = null;
    MethodHandle send = null;
    MethodHandle fd = null;
    VarHandle errno = null;
    long size = 0;
    try {
      if (System.getProperty("os.name", "").startsWith("Linux")
          && Sockets.class.getModule().isNativeAccessEnabled()) {
        Linker linker = Linker.nativeLinker();
        Linker.Option ccs = Linker.Option.captureCallState("errno");
        var layout = Linker.Option.captureStateLayout();
        errno = layout.varHandle(MemoryLayout.PathElement.groupElement("errno"));
        size = layout.byteSize();
        FunctionDescriptor io = FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT);
        recv = linker.downcallHandle(linker.defaultLookup().findOrThrow("recv"), io, ccs);
        send = linker.downcallHandle(linker.defaultLookup().findOrThrow("send"), io, ccs);
        fd = MethodHandles.lookup().findVirtual(Class.forName("sun.nio.ch.SelChImpl"),
            "getFDVal", MethodType.methodType(int.class));
      }
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      recv = null;
    }
    RECV = fd == null ? null : recv;
    SEND = send;
    FD = fd;
    ERRNO = errno;
    STATE_SIZE = size;
  }

  /** Whether reads and writes go through {@code recv}/{@code send} here. */
  static boolean available() {
    return RECV != null;
  }

  /** The channel's descriptor. */
  static int fd(SocketChannel ch) {
    try {
      return (int) FD.invoke(ch);
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  /**
   * One {@code recv} (or {@code send} when {@code write}) of up to {@code len} bytes at {@code
   * buf}, without blocking when the descriptor is non-blocking.
   *
   * @return bytes moved (0 = end of stream for a read), or {@code -errno}
   */
  static long io(boolean write, int fd, MemorySegment buf, long len, MemorySegment state) {
    try {
      long n = write ? (long) SEND.invokeExact(state, fd, buf, len, MSG_NOSIGNAL)
          : (long) RECV.invokeExact(state, fd, buf, len, 0);
      return n >= 0 ? n : -(int) ERRNO.get(state, 0L);
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  /** Bytes for the captured errno of {@link #io}. */
  static long stateSize() {
    return STATE_SIZE;
  }
}
