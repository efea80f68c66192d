package dev.tcpdial.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Standard input that an interrupt of the reading thread stops: a blocked read(2) on a pipe or a
 * terminal does not return for {@link Thread#interrupt()}, so each read first waits with poll(2)
 * in slices of 100 ms and checks the thread's interrupt flag between them. Where native calls are
 * refused it is {@link System#in} as it is.
 */
final class Stdin extends InputStream {
  private static final short POLLIN = 1;
  private final InputStream in;
  private final MemorySegment pollfd = Arena.ofAuto().allocate(8, 4);

  private Stdin(InputStream in) {
    this.in = in;
    pollfd.set(ValueLayout.JAVA_INT, 0, 0); // fd 0
    pollfd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
  }

  /** The process's standard input, interruptible where it can be (when run as the tool). */
  static InputStream open() {
    return Terminal.realOut == null || Poll.HANDLE == null ? System.in : new Stdin(System.in);
  }

  @Override
  public int read() throws IOException {
    await();
    return in.read();
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    await();
    return in.read(b, off, len);
  }

  @Override
  public int available() throws IOException {
    return in.available();
  }

  /** Returns once a read will not block (data, end of input or an error); throws on interrupt. */
  private void await() throws IOException {
    while (in.available() == 0) {
      if (Thread.interrupted()) {
        throw new InterruptedIOException("interrupted while reading standard input");
      }
      int n;
      try {
        pollfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
        n = (int) Poll.HANDLE.invokeExact(pollfd, 1L, 100);
      } catch (Throwable e) {
        return; // let the read itself say what is wrong
      }
      if (n > 0) {
        return;
      }
    }
  }

  /** poll(2), linked on first use. */
  private static final class Poll {
    static final MethodHandle HANDLE = link();

    private static MethodHandle link() {
      try {
        Linker linker = Linker.nativeLinker();
        return linker.defaultLookup().find("poll").map(a -> linker.downcallHandle(a,
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT))).orElse(null);
      } catch (Throwable e) { // native access refused, or not this platform
        return null;
      }
    }
  }
}
