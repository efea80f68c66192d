package dev.tcpdial.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ScanMachineryTest {
  @Test
  void windowHalvesOnLocalProblemsAndGrowsBack() throws Exception {
    ScanCommand.AdaptiveWindow w = new ScanCommand.AdaptiveWindow(8);
    assertThat(w.availablePermits()).isEqualTo(8);
    w.backoff();
    assertThat(w.size()).isEqualTo(4);
    assertThat(w.availablePermits()).isEqualTo(4);
    w.backoff();
    w.backoff();
    w.backoff();
    assertThat(w.size()).isEqualTo(1);
    w.recover(); // too soon after the cut
    assertThat(w.size()).isEqualTo(1);
    Thread.sleep(30);
    for (int i = 0; i < 20; i++) {
      w.recover();
    }
    assertThat(w.size()).isEqualTo(8);
    assertThat(w.availablePermits()).isEqualTo(8);
  }

  @Test
  void tokenBucketPacesStarts() throws Exception {
    ScanCommand.TokenBucket b = new ScanCommand.TokenBucket(100); // burst 5
    long start = System.nanoTime();
    for (int i = 0; i < 25; i++) {
      b.acquire();
    }
    double secs = (System.nanoTime() - start) / 1e9;
    // 25 starts at 100/s with at most 5 up front: at least ~0.19 s
    assertThat(secs).isBetween(0.15, 5.0);
  }
}
