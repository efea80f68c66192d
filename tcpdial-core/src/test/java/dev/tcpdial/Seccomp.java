package dev.tcpdial;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * A seccomp filter for this whole process, the way a container runtime installs one: the listed
 * system calls fail with the given errno, everything else runs. For tests that play a machine
 * where io_uring is refused (Docker's default profile answers {@code EPERM}, a kernel without it
 * or a sandbox {@code ENOSYS}) without touching anything outside the process: no root needed
 * ({@code PR_SET_NO_NEW_PRIVS} first), and every thread of the JVM gets it ({@code
 * SECCOMP_FILTER_FLAG_TSYNC}). There is no way back: run it in a child JVM.
 */
final class Seccomp {
  /** The io_uring system calls: the same numbers on x86-64 and arm64. */
  static final int IO_URING_SETUP = 425;
  static final int IO_URING_ENTER = 426;
  static final int IO_URING_REGISTER = 427;

  private static final int PR_SET_NO_NEW_PRIVS = 38;
  private static final int SECCOMP_SET_MODE_FILTER = 1;
  private static final int SECCOMP_FILTER_FLAG_TSYNC = 1;
  private static final int SECCOMP_RET_ALLOW = 0x7fff0000;
  private static final int SECCOMP_RET_ERRNO = 0x00050000;
  private static final short LD_W_ABS = 0x20; // BPF_LD | BPF_W | BPF_ABS
  private static final short JEQ_K = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
  private static final short RET_K = 0x06; // BPF_RET | BPF_K

  private Seccomp() {}

  /** Null when this machine's architecture is one the filter knows, else why not. */
  static String unsupported() {
    return switch (System.getProperty("os.arch")) {
      case "amd64", "x86_64", "aarch64" -> null;
      default -> "seccomp filter written for x86-64 and arm64 only, not " + System.getProperty("os.arch");
    };
  }

  /** Makes every call in {@code denied} fail with {@code errno} in this process, for good. */
  static void deny(List<Integer> denied, int errno) throws Throwable {
    boolean x86 = !"aarch64".equals(System.getProperty("os.arch"));
    int arch = x86 ? 0xC000003E : 0xC00000B7; // AUDIT_ARCH_X86_64, AUDIT_ARCH_AARCH64
    long nrSeccomp = x86 ? 317 : 277;
    int n = denied.size();
    // ld arch; jeq arch ? next : allow; ld nr; (jeq nr_i ? deny : next) x n; allow; deny
    short[] code = new short[4 + n + 1];
    int[] jt = new int[code.length];
    int[] jf = new int[code.length];
    int[] k = new int[code.length];
    int allow = 3 + n;
    int deny = allow + 1;
    code[0] = LD_W_ABS;
    k[0] = 4; // seccomp_data.arch
    code[1] = JEQ_K;
    k[1] = arch;
    jt[1] = 0;
    jf[1] = allow - 2;
    code[2] = LD_W_ABS;
    k[2] = 0; // seccomp_data.nr
    for (int i = 0; i < n; i++) {
      int at = 3 + i;
      code[at] = JEQ_K;
      k[at] = denied.get(i);
      jt[at] = deny - at - 1;
      jf[at] = 0;
    }
    code[allow] = RET_K;
    k[allow] = SECCOMP_RET_ALLOW;
    code[deny] = RET_K;
    k[deny] = SECCOMP_RET_ERRNO | (errno & 0xffff);

    Linker linker = Linker.nativeLinker();
    var libc = linker.defaultLookup();
    MethodHandle prctl = linker.downcallHandle(libc.findOrThrow("prctl"),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    MethodHandle syscall = linker.downcallHandle(libc.findOrThrow("syscall"),
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.ADDRESS), Linker.Option.firstVariadicArg(1));
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment filter = arena.allocate(8L * code.length, 8);
      for (int i = 0; i < code.length; i++) {
        long o = 8L * i;
        filter.set(ValueLayout.JAVA_SHORT, o, code[i]);
        filter.set(ValueLayout.JAVA_BYTE, o + 2, (byte) jt[i]);
        filter.set(ValueLayout.JAVA_BYTE, o + 3, (byte) jf[i]);
        filter.set(ValueLayout.JAVA_INT, o + 4, k[i]);
      }
      MemorySegment prog = arena.allocate(16, 8); // struct sock_fprog
      prog.set(ValueLayout.JAVA_SHORT, 0, (short) code.length);
      prog.set(ValueLayout.ADDRESS, 8, filter);
      if ((int) prctl.invokeExact(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0) {
        throw new IllegalStateException("prctl(PR_SET_NO_NEW_PRIVS) failed");
      }
      long r = (long) syscall.invokeExact(nrSeccomp, (long) SECCOMP_SET_MODE_FILTER,
          (long) SECCOMP_FILTER_FLAG_TSYNC, prog);
      if (r != 0) {
        throw new IllegalStateException("seccomp(SET_MODE_FILTER, TSYNC) returned " + r);
      }
    }
  }
}
