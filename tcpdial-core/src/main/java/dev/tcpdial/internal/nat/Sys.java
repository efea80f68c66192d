package dev.tcpdial.internal.nat;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Downcall handles for the C library's socket, epoll and eventfd calls. Calls that cannot block
 * (everything but {@code epoll_wait}, {@code poll} and the ring's) are linked as critical: no thread-state transition. Every
 * call whose failure matters captures {@code errno} into a caller-supplied segment of {@link
 * #STATE_SIZE} bytes, read back with {@link #errno(MemorySegment)}.
 *
 * <p>Touching this class where {@link #UNAVAILABLE} is non-null is harmless: the handles are null.
 */
final class Sys {
  private Sys() {}

  private static final ValueLayout I = ValueLayout.JAVA_INT;
  private static final ValueLayout L = ValueLayout.JAVA_LONG;
  private static final ValueLayout P = ValueLayout.ADDRESS;

  static final MethodHandle SOCKET;
  static final MethodHandle CONNECT;
  static final MethodHandle BIND;
  static final MethodHandle GETSOCKOPT;
  static final MethodHandle SETSOCKOPT;
  static final MethodHandle GETSOCKNAME;
  static final MethodHandle GETPEERNAME;
  static final MethodHandle CLOSE;
  static final MethodHandle EPOLL_CREATE1;
  static final MethodHandle EPOLL_CTL;
  static final MethodHandle EPOLL_WAIT;
  static final MethodHandle EVENTFD;
  static final MethodHandle READ;
  static final MethodHandle WRITE;
  static final MethodHandle SYSCALL;
  static final MethodHandle MMAP;
  static final MethodHandle MUNMAP;
  static final MethodHandle RECVMSG;
  static final MethodHandle POLL;
  static final long STATE_SIZE;
  /**
   * io_uring's system call numbers: the same on x86_64 and aarch64 (added after the tables were
   * unified, {@code <asm-generic/unistd.h>} and {@code syscall_64.tbl} both say 425 to 427).
   */
  static final long NR_IO_URING_SETUP = 425;
  static final long NR_IO_URING_ENTER = 426;
  static final long NR_IO_URING_REGISTER = 427;
  private static final VarHandle ERRNO;
  /** Null when the native engine can run here, else why not, in one line. */
  static final String UNAVAILABLE;

  static {
    MethodHandle[] h = new MethodHandle[19];
    long size = 0;
    VarHandle errno = null;
    String why = null;
    if (Precheck.WHY != null) {
      why = Precheck.WHY;
    } else {
      try {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        Linker.Option ccs = Linker.Option.captureCallState("errno");
        Linker.Option fast = Linker.Option.critical(false);
        MemoryLayout state = Linker.Option.captureStateLayout();
        size = state.byteSize();
        errno = state.varHandle(MemoryLayout.PathElement.groupElement("errno"));
        h[0] = link(linker, libc, "socket", FunctionDescriptor.of(I, I, I, I), ccs, fast);
        h[1] = link(linker, libc, "connect", FunctionDescriptor.of(I, I, P, I), ccs, fast);
        h[2] = link(linker, libc, "bind", FunctionDescriptor.of(I, I, P, I), ccs, fast);
        h[3] = link(linker, libc, "getsockopt", FunctionDescriptor.of(I, I, I, I, P, P), ccs, fast);
        h[4] = link(linker, libc, "setsockopt", FunctionDescriptor.of(I, I, I, I, P, I), ccs, fast);
        h[5] = link(linker, libc, "getsockname", FunctionDescriptor.of(I, I, P, P), ccs, fast);
        h[6] = link(linker, libc, "close", FunctionDescriptor.of(I, I), fast);
        h[7] = link(linker, libc, "epoll_create1", FunctionDescriptor.of(I, I), ccs);
        h[8] = link(linker, libc, "epoll_ctl", FunctionDescriptor.of(I, I, I, I, P), ccs, fast);
        h[9] = link(linker, libc, "epoll_wait", FunctionDescriptor.of(I, I, P, I, I), ccs);
        h[10] = link(linker, libc, "eventfd", FunctionDescriptor.of(I, I, I), ccs);
        h[11] = link(linker, libc, "read", FunctionDescriptor.of(L, I, P, L), fast);
        h[12] = link(linker, libc, "write", FunctionDescriptor.of(L, I, P, L));
        h[13] = link(linker, libc, "getpeername", FunctionDescriptor.of(I, I, P, P), ccs, fast);
        // long syscall(long number, ...): every argument passed as a long
        h[14] = link(linker, libc, "syscall", FunctionDescriptor.of(L, L, L, L, L, L, L, L), ccs,
            Linker.Option.firstVariadicArg(1));
        h[15] = link(linker, libc, "mmap", FunctionDescriptor.of(P, P, L, I, I, I, L), ccs);
        h[16] = link(linker, libc, "munmap", FunctionDescriptor.of(I, P, L));
        h[17] = link(linker, libc, "recvmsg", FunctionDescriptor.of(L, I, P, I), ccs, fast);
        // poll blocks: not critical, so the JVM may reach a safepoint while it waits
        h[18] = link(linker, libc, "poll", FunctionDescriptor.of(I, P, L, I), ccs);
      } catch (RuntimeException | Error e) {
        why = "the native engine cannot link the C library's socket calls: " + e;
        h = new MethodHandle[19];
      }
    }
    SOCKET = h[0];
    CONNECT = h[1];
    BIND = h[2];
    GETSOCKOPT = h[3];
    SETSOCKOPT = h[4];
    GETSOCKNAME = h[5];
    GETPEERNAME = h[13];
    CLOSE = h[6];
    EPOLL_CREATE1 = h[7];
    EPOLL_CTL = h[8];
    EPOLL_WAIT = h[9];
    EVENTFD = h[10];
    READ = h[11];
    WRITE = h[12];
    SYSCALL = h[14];
    MMAP = h[15];
    MUNMAP = h[16];
    RECVMSG = h[17];
    POLL = h[18];
    STATE_SIZE = size;
    ERRNO = errno;
    UNAVAILABLE = why;
  }

  private static MethodHandle link(Linker linker, SymbolLookup libc, String name,
      FunctionDescriptor fd, Linker.Option... options) {
    return linker.downcallHandle(libc.findOrThrow(name), fd, options);
  }

  /** The errno captured by the last call that was given {@code state}. */
  static int errno(MemorySegment state) {
    return (int) ERRNO.get(state, 0L);
  }

  // Typed wrappers: invokeExact needs exact types, and a Throwable here is a bug of ours.

  static int socket(MemorySegment st, int domain, int type, int proto) {
    try {
      return (int) SOCKET.invokeExact(st, domain, type, proto);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  static int connect(MemorySegment st, int fd, MemorySegment addr, int len) {
    try {
      return (int) CONNECT.invokeExact(st, fd, addr, len);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  static int bind(MemorySegment st, int fd, MemorySegment addr, int len) {
    try {
      return (int) BIND.invokeExact(st, fd, addr, len);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  static int getsockopt(MemorySegment st, int fd, int level, int name, MemorySegment val,
      MemorySegment len) {
    try {
      return (int) GETSOCKOPT.invokeExact(st, fd, level, name, val, len);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  static int setsockopt(MemorySegment st, int fd, int level, int name, MemorySegment val, int len) {
    try {
      return (int) SETSOCKOPT.invokeExact(st, fd, level, name, val, len);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  static int getsockname(MemorySegment st, int fd, MemorySegment addr, MemorySegment len) {
    try {
      return (int) GETSOCKNAME.invokeExact(st, fd, addr, len);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  static int getpeername(MemorySegment st, int fd, MemorySegment addr, MemorySegment len) {
    try {
      return (int) GETPEERNAME.invokeExact(st, fd, addr, len);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  static int close(int fd) {
    try {
      return (int) CLOSE.invokeExact(fd);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  static int epollCreate1(MemorySegment st, int flags) {
    try {
      return (int) EPOLL_CREATE1.invokeExact(st, flags);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  static int epollCtl(MemorySegment st, int epfd, int op, int fd, MemorySegment ev) {
    try {
      return (int) EPOLL_CTL.invokeExact(st, epfd, op, fd, ev);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  static int epollWait(MemorySegment st, int epfd, MemorySegment events, int max, int timeoutMs) {
    try {
      return (int) EPOLL_WAIT.invokeExact(st, epfd, events, max, timeoutMs);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  static int eventfd(MemorySegment st, int initval, int flags) {
    try {
      return (int) EVENTFD.invokeExact(st, initval, flags);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  static long read(int fd, MemorySegment buf, long n) {
    try {
      return (long) READ.invokeExact(fd, buf, n);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  static long write(int fd, MemorySegment buf, long n) {
    try {
      return (long) WRITE.invokeExact(fd, buf, n);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code syscall(2)} with up to six arguments; -1 and the errno in {@code st} on failure. */
  static long syscall(MemorySegment st, long nr, long a, long b, long c, long d, long e) {
    return syscall(st, nr, a, b, c, d, e, 0L);
  }

  static long syscall(MemorySegment st, long nr, long a, long b, long c, long d, long e, long f) {
    try {
      return (long) SYSCALL.invokeExact(st, nr, a, b, c, d, e, f);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code mmap(NULL, size, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE, fd, offset)}. */
  static MemorySegment mmap(MemorySegment st, long size, int fd, long offset) {
    try {
      return (MemorySegment) MMAP.invokeExact(st, MemorySegment.NULL, size, 3, 0x01 | 0x8000, fd,
          offset);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code recvmsg(fd, msg, flags)}: bytes received, or -1 and the errno in {@code st}. */
  static long recvmsg(MemorySegment st, int fd, MemorySegment msg, int flags) {
    try {
      return (long) RECVMSG.invokeExact(st, fd, msg, flags);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** {@code poll(fds, n, timeoutMs)}: ready descriptors, 0 on timeout, or -1 and the errno. */
  static int poll(MemorySegment st, MemorySegment fds, long n, int timeoutMs) {
    try {
      return (int) POLL.invokeExact(st, fds, n, timeoutMs);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  static int munmap(MemorySegment addr, long size) {
    try {
      return (int) MUNMAP.invokeExact(addr, size);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }
}
