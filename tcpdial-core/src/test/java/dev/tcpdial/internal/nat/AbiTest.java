package dev.tcpdial.internal.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** Struct sizes and offsets as the Linux headers have them, for both architectures. */
class AbiTest {

  private static long offset(java.lang.foreign.StructLayout l, String field) {
    return l.byteOffset(PathElement.groupElement(field));
  }

  @Test
  void sockaddrIn() {
    assertThat(Abi.SOCKADDR_IN.byteSize()).isEqualTo(16);
    assertThat(offset(Abi.SOCKADDR_IN, "sin_family")).isZero();
    assertThat(offset(Abi.SOCKADDR_IN, "sin_port")).isEqualTo(2);
    assertThat(offset(Abi.SOCKADDR_IN, "sin_addr")).isEqualTo(4);
    assertThat(offset(Abi.SOCKADDR_IN, "sin_zero")).isEqualTo(8);
  }

  @Test
  void sockaddrIn6() {
    assertThat(Abi.SOCKADDR_IN6.byteSize()).isEqualTo(28);
    assertThat(offset(Abi.SOCKADDR_IN6, "sin6_family")).isZero();
    assertThat(offset(Abi.SOCKADDR_IN6, "sin6_port")).isEqualTo(2);
    assertThat(offset(Abi.SOCKADDR_IN6, "sin6_flowinfo")).isEqualTo(4);
    assertThat(offset(Abi.SOCKADDR_IN6, "sin6_addr")).isEqualTo(8);
    assertThat(offset(Abi.SOCKADDR_IN6, "sin6_scope_id")).isEqualTo(24);
  }

  @Test
  void epollEventIsPackedOnX86AndPaddedOnAarch64() {
    var x86 = Abi.epollEvent("x86_64");
    assertThat(x86.byteSize()).isEqualTo(12);
    assertThat(offset(x86, "events")).isZero();
    assertThat(offset(x86, "data")).isEqualTo(4);
    var arm = Abi.epollEvent("aarch64");
    assertThat(arm.byteSize()).isEqualTo(16);
    assertThat(offset(arm, "events")).isZero();
    assertThat(offset(arm, "data")).isEqualTo(8);
  }

  @Test
  void runningArchitecture() {
    String arch = Abi.arch(System.getProperty("os.arch"));
    assumeTrue(arch != null, "not x86_64 or aarch64");
    assertThat(Abi.ARCH).isEqualTo(arch);
    assertThat(Abi.EV_SIZE).isEqualTo(arch.equals("x86_64") ? 12 : 16);
    assertThat(Abi.EV_DATA).isEqualTo(arch.equals("x86_64") ? 4 : 8);
    assertThat(Abi.LINGER.byteSize()).isEqualTo(8);
    assertThat(Abi.arch("amd64")).isEqualTo("x86_64");
    assertThat(Abi.arch("arm64")).isEqualTo("aarch64");
    assertThat(Abi.arch("riscv64")).isNull();
  }

  @Test
  void sockaddrBytesAreInNetworkOrder() throws Exception {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment s = a.allocate(Abi.SOCKADDR_IN6);
      int len = NativeLoop.writeSockaddr(s, InetAddress.getByName("198.18.1.2"), 0x1F90);
      assertThat(len).isEqualTo(16);
      assertThat(s.get(ValueLayout.JAVA_SHORT, 0)).isEqualTo((short) 2);
      assertThat(s.asSlice(2, 6).toArray(ValueLayout.JAVA_BYTE))
          .containsExactly(0x1F, 0x90, 198 - 256, 18, 1, 2);
      assertThat(s.asSlice(8, 8).toArray(ValueLayout.JAVA_BYTE)).containsOnly(0);
      assertThat(NativeLoop.readSockaddr(s))
          .isEqualTo(new InetSocketAddress(InetAddress.getByName("198.18.1.2"), 8080));

      len = NativeLoop.writeSockaddr(s, InetAddress.getByName("fd00::1"), 443);
      assertThat(len).isEqualTo(28);
      assertThat(s.get(ValueLayout.JAVA_SHORT, 0)).isEqualTo((short) 10);
      assertThat(s.asSlice(2, 2).toArray(ValueLayout.JAVA_BYTE)).containsExactly(1, 0xBB - 256);
      assertThat(s.get(ValueLayout.JAVA_BYTE, 8)).isEqualTo((byte) 0xfd);
      assertThat(s.get(ValueLayout.JAVA_BYTE, 23)).isEqualTo((byte) 1);
      assertThat(NativeLoop.readSockaddr(s))
          .isEqualTo(new InetSocketAddress(InetAddress.getByName("fd00::1"), 443));
    }
  }
}
