package dev.tcpdial.cli.output;

import dev.tcpdial.cli.process.ExitCodes;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Locale;
import java.util.Map;

/**
 * The process's standard output, for the results only, and what happens when it cannot be written.
 *
 * <p>Results go to a duplicate of descriptor 1, and descriptor 1 itself is pointed at standard
 * error: whatever else the JVM writes to "stdout" (the thread dump of SIGQUIT, -Xlog output, a
 * library's System.out) lands on stderr and never inside a JSON or CSV stream.
 *
 * <p>A write that fails ends the process at once: a closed pipe ({@code EPIPE}, e.g. {@code |
 * head}) quietly with status {@value #CLOSED_PIPE} (128 + SIGPIPE, the status a shell reports for
 * coreutils and ping(8) killed by the signal); any other error ({@code ENOSPC} on {@code
 * /dev/full}, {@code EIO}) with one line on stderr and status {@value ExitCodes#ERROR}. Nothing is
 * gained by dialing on when no result can be written.
 */
public final class Stdout extends OutputStream {
  /** The exit status after standard output was closed by its reader. */
  static final int CLOSED_PIPE = ExitCodes.CLOSED_PIPE;

  private static final int EINTR = 4;
  private static final int EAGAIN = 11;
  private static final int EPIPE = 32;
  private static final Map<Integer, String> NAMES = Map.of(5, "EIO", 9, "EBADF", 27, "EFBIG",
      28, "ENOSPC", 122, "EDQUOT", EPIPE, "EPIPE", 22, "EINVAL", 13, "EACCES");

  private final int fd;
  private final PrintWriter err;
  private final MemorySegment buffer = Arena.global().allocate(1 << 16);
  private final MemorySegment state = Arena.global().allocate(Native.STATE);

  private Stdout(int fd, PrintWriter err) {
    this.fd = fd;
    this.err = err;
  }

  /**
   * The results' stream: a duplicate of descriptor 1 written with write(2), descriptor 1 then
   * pointing at stderr; or, where native calls are refused, descriptor 1 itself through the JDK
   * (a write error still ends the process, told apart by its message).
   */
  public static OutputStream open(PrintWriter err) {
    if (Native.OK) {
      try {
        int dup = (int) Native.DUP.invokeExact(1);
        if (dup >= 0) {
          if ((int) Native.DUP2.invokeExact(2, 1) < 0) {
            return new Stdout(1, err); // stdout stays where it was; results still checked
          }
          Terminal.outFd = dup;
          return new Stdout(dup, err);
        }
      } catch (Throwable e) {
        // fall through to the JDK's stream
      }
    }
    return new Checked(new FileOutputStream(FileDescriptor.out), err);
  }

  /**
   * Points descriptor 1 back at the results' descriptor for a full-screen view that can only
   * draw on descriptor 1 (JLine's system terminal writes there and asks it for the size), until
   * the returned handle is closed: then descriptor 1 points at stderr again. Meanwhile the view
   * owns the screen, and what the JVM prints by itself lands on it; the results still go to
   * their own descriptor. Nothing to do where descriptor 1 was never moved.
   *
   * @return what puts descriptor 1 back at stderr; closing it twice is harmless
   */
  public static AutoCloseable resultsOnDescriptor1() {
    int results = Terminal.outFd;
    if (results == 1 || !Native.OK) {
      return () -> { };
    }
    try {
      if ((int) Native.DUP2.invokeExact(results, 1) < 0) {
        return () -> { };
      }
    } catch (Throwable e) {
      return () -> { };
    }
    java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
    return () -> {
      if (done.compareAndSet(false, true)) {
        try {
          if ((int) Native.DUP2.invokeExact(2, 1) < 0) {
            return; // descriptor 1 stays on the terminal: only the JVM's own output lands there
          }
        } catch (Throwable e) {
          // as above
        }
      }
    };
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      int n = Math.min(len, (int) buffer.byteSize());
      MemorySegment.copy(b, off, buffer, ValueLayout.JAVA_BYTE, 0, n);
      long done = 0;
      while (done < n) {
        long w;
        try {
          w = (long) Native.WRITE.invokeExact(state, fd, buffer.asSlice(done), n - done);
        } catch (Throwable e) {
          throw new IOException(e);
        }
        if (w >= 0) {
          done += w;
          continue;
        }
        int errno = (int) Native.ERRNO.get(state, 0L);
        if (errno == EINTR) {
          continue;
        }
        if (errno == EAGAIN) { // a non-blocking descriptor shared with another process
          java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
          continue;
        }
        failed(errno == EPIPE, NAMES.getOrDefault(errno, "errno " + errno), strerror(errno), err);
      }
      off += n;
      len -= n;
    }
  }

  /** Ends the process: quietly for a closed pipe, with one line on stderr for any other error. */
  static void failed(boolean closedPipe, String name, String text, PrintWriter err) {
    if (closedPipe) {
      Runtime.getRuntime().halt(CLOSED_PIPE);
    }
    err.println("tcpdial: error: cannot write the results to standard output: "
        + (text == null ? name : text + " (" + name + ")"));
    err.flush();
    Runtime.getRuntime().halt(ExitCodes.ERROR);
  }

  private static String strerror(int errno) {
    try {
      MemorySegment s = (MemorySegment) Native.STRERROR.invokeExact(errno);
      return s.equals(MemorySegment.NULL) ? null : s.reinterpret(512).getString(0);
    } catch (Throwable e) {
      return null;
    }
  }

  /** The JDK's stream to descriptor 1, where native calls are refused. */
  static final class Checked extends OutputStream {
    private final OutputStream out;
    private final PrintWriter err;

    Checked(OutputStream out, PrintWriter err) {
      this.out = out;
      this.err = err;
    }

    @Override
    public void write(int b) throws IOException {
      try {
        out.write(b);
      } catch (IOException e) {
        fail(e);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      try {
        out.write(b, off, len);
      } catch (IOException e) {
        fail(e);
      }
    }

    private void fail(IOException e) {
      String m = String.valueOf(e.getMessage());
      failed(m.toLowerCase(Locale.ROOT).contains("broken pipe"), "error", m, err);
    }
  }

  /** write(2), dup(2), dup2(2), strerror(3), linked on first use. */
  private static final class Native {
    static final StructLayout STATE = Linker.Option.captureStateLayout();
    static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    static final MethodHandle WRITE;
    static final MethodHandle DUP;
    static final MethodHandle DUP2;
    static final MethodHandle STRERROR;
    static final boolean OK;

    static {
      MethodHandle write = null;
      MethodHandle dup = null;
      MethodHandle dup2 = null;
      MethodHandle strerror = null;
      try {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        write = linker.downcallHandle(libc.find("write").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG),
            Linker.Option.captureCallState("errno"));
        dup = linker.downcallHandle(libc.find("dup").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        dup2 = linker.downcallHandle(libc.find("dup2").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        strerror = linker.downcallHandle(libc.find("strerror").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
      } catch (Throwable e) { // native access refused, or not this platform
        write = null;
      }
      WRITE = write;
      DUP = dup;
      DUP2 = dup2;
      STRERROR = strerror;
      OK = write != null && dup != null && dup2 != null && strerror != null;
    }
  }
}
