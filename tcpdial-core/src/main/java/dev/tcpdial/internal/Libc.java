package dev.tcpdial.internal;

import dev.tcpdial.Errno;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.SocketChannel;

/**
 * The few C-library calls the JDK engine needs beyond the JDK: {@code setsockopt} for options the
 * JDK does not expose. Available on Linux with native access granted and, to reach a channel's
 * descriptor, {@code --add-exports java.base/sun.nio.ch=dev.tcpdial} (or {@code =ALL-UNNAMED}).
 */
final class Libc {
  private Libc() {}

  private static final MethodHandle SETSOCKOPT;
  private static final MethodHandle GETSOCKOPT;
  private static final MethodHandle DUP;
  private static final MethodHandle CLOSE;
  private static final MethodHandle GET_FD;
  private static final VarHandle ERRNO;
  private static final long STATE_SIZE;
  private static final String UNAVAILABLE;

  static {
    MethodHandle setsockopt = null;
    MethodHandle getsockopt = null;
    MethodHandle dup = null;
    MethodHandle close = null;
    MethodHandle getFd = null;
    VarHandle errno = null;
    long size = 0;
    String why = null;
    if (!Platform.linux()) {
      why = "socket options beyond the JDK's need Linux";
    } else if (!Platform.nativeAccess()) {
      why = "socket options beyond the JDK's need native access: run java with"
          + " --enable-native-access=dev.tcpdial (or =ALL-UNNAMED on the class path)";
    } else {
      try {
        Linker linker = Linker.nativeLinker();
        Linker.Option ccs = Linker.Option.captureCallState("errno");
        var layout = Linker.Option.captureStateLayout();
        errno = layout.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
        size = layout.byteSize();
        setsockopt = linker.downcallHandle(linker.defaultLookup().findOrThrow("setsockopt"),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), ccs);
        getsockopt = linker.downcallHandle(linker.defaultLookup().findOrThrow("getsockopt"),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS), ccs);
        dup = linker.downcallHandle(linker.defaultLookup().findOrThrow("fcntl"),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT), ccs, Linker.Option.firstVariadicArg(2));
        close = linker.downcallHandle(linker.defaultLookup().findOrThrow("close"),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        Class<?> selCh = Class.forName("sun.nio.ch.SelChImpl");
        getFd = MethodHandles.lookup().findVirtual(selCh, "getFDVal",
            java.lang.invoke.MethodType.methodType(int.class));
      } catch (ReflectiveOperationException | RuntimeException e) {
        why = "socket options beyond the JDK's need the channel's descriptor: run java with"
            + " --add-exports java.base/sun.nio.ch=dev.tcpdial (or =ALL-UNNAMED on the class path)";
        setsockopt = null;
      }
    }
    SETSOCKOPT = setsockopt;
    GETSOCKOPT = getsockopt;
    DUP = dup;
    CLOSE = close;
    GET_FD = getFd;
    ERRNO = errno;
    STATE_SIZE = size;
    UNAVAILABLE = why;
  }

  /** Null when {@link #setIntOption} works here, else why not, in one line. */
  static String unavailable() {
    return UNAVAILABLE;
  }

  /** {@code setsockopt(fd(ch), level, name, &value, 4)}; fails with the errno's name. */
  static void setIntOption(SocketChannel ch, int level, int name, int value, String what)
      throws IOException {
    if (UNAVAILABLE != null) {
      throw new IOException(what + ": " + UNAVAILABLE);
    }
    try (Arena arena = Arena.ofConfined()) {
      int fd = (int) GET_FD.invoke(ch);
      MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
      v.set(ValueLayout.JAVA_INT, 0, value);
      MemorySegment state = arena.allocate(STATE_SIZE);
      int rc = (int) SETSOCKOPT.invokeExact(state, fd, level, name, v, 4);
      if (rc != 0) {
        int err = (int) ERRNO.get(state, 0L);
        throw new IOException("setsockopt " + what + "=" + value + ": " + Errno.of(err));
      }
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("setsockopt " + what + ": " + t, t);
    }
  }

  private static final int F_DUPFD_CLOEXEC = 1030;

  /**
   * A second descriptor of {@code ch}'s socket ({@code fcntl(F_DUPFD_CLOEXEC)}), which keeps the
   * socket alive after the JDK closes the channel's own; the caller closes it ({@link #close}).
   */
  static int dup(SocketChannel ch) throws IOException {
    if (UNAVAILABLE != null) {
      throw new IOException(UNAVAILABLE);
    }
    try (Arena arena = Arena.ofConfined()) {
      int fd = (int) GET_FD.invoke(ch);
      MemorySegment state = arena.allocate(STATE_SIZE);
      int d = (int) DUP.invokeExact(state, fd, F_DUPFD_CLOEXEC, 0);
      if (d < 0) {
        throw new IOException("fcntl(F_DUPFD_CLOEXEC): " + Errno.of((int) ERRNO.get(state, 0L)));
      }
      return d;
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("fcntl: " + t, t);
    }
  }

  /** Closes a descriptor {@link #dup} gave; 0 or -1. */
  static int close(int fd) {
    try {
      return (int) CLOSE.invokeExact(fd);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code getsockopt(fd(ch), level, name)} of an int option; fails with the errno's name. */
  static int getIntOption(SocketChannel ch, int level, int name) throws IOException {
    if (UNAVAILABLE != null) {
      throw new IOException(UNAVAILABLE);
    }
    try (Arena arena = Arena.ofConfined()) {
      int fd = (int) GET_FD.invoke(ch);
      MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
      MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
      len.set(ValueLayout.JAVA_INT, 0, 4);
      MemorySegment state = arena.allocate(STATE_SIZE);
      int rc = (int) GETSOCKOPT.invokeExact(state, fd, level, name, v, len);
      if (rc != 0) {
        throw new IOException("getsockopt " + name + ": " + Errno.of((int) ERRNO.get(state, 0L)));
      }
      return v.get(ValueLayout.JAVA_INT, 0);
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("getsockopt: " + t, t);
    }
  }
}
