package dev.tcpdial.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The TLS stage's material is kept between probes ({@link TlsStage#material}) and its client is
 * shared by them, without changing what a probe reports: a {@code ca_file} rewritten on disk is
 * used by the next probe, however it was rewritten, and every probe verifies the certificate
 * the server sends on that connection (nothing resumes a session). Against a JDK TLS server on
 * 127.0.0.1 that does resume sessions when asked (TLS 1.2 by session ID, TLS 1.3 by ticket) and
 * greets each client after its handshake.
 */
class TlsStageCacheTest {
  @TempDir Path dir;
  TestPki pki;
  TestPki.Pair good;
  TestPki.Pair stranger;
  Server server;

  @BeforeEach
  void pki() throws Exception {
    pki = new TestPki(dir.resolve("pki"));
    good = pki.server("good", "127.0.0.1");
    stranger = pki.server("stranger", List.of("127.0.0.1"), Instant.now().minusSeconds(3600),
        Instant.now().plus(Duration.ofDays(9)), false);
  }

  @AfterEach
  void stop() throws IOException {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aCaFileRewrittenOnDiskIsUsedByTheNextProbe() throws Exception {
    server = new Server(i -> "good");
    Path ca = dir.resolve("ca.pem");
    Files.writeString(ca, pem(pki.otherCa));
    TlsConfig c = caFile(ca);
    assertThat(probe(c).outcome()).isEqualTo(TlsStage.UNKNOWN_AUTHORITY);
    Files.writeString(ca, pem(pki.ca));
    TlsStage.Result r = probe(c);
    assertThat(r.outcome()).isEqualTo(TlsStage.ESTABLISHED);
    assertThat(r.verified()).hasSize(2).endsWith(pki.ca);
    Files.writeString(ca, pem(pki.otherCa));
    assertThat(probe(c).outcome()).isEqualTo(TlsStage.UNKNOWN_AUTHORITY);
  }

  @Test
  void anUnchangedSettledFileIsReadOnceAndAFreshOneAtEveryUse() throws Exception {
    Path ca = dir.resolve("ca.pem");
    Files.writeString(ca, pem(pki.ca));
    TlsConfig c = caFile(ca);
    // written just now: its time cannot yet tell it from a rewrite in the same tick
    assertThat(TlsStage.material(c)).isNotSameAs(TlsStage.material(c));
    Files.setLastModifiedTime(ca, FileTime.from(Instant.now().minusSeconds(3600)));
    TlsStage.Material m = TlsStage.material(c);
    assertThat(TlsStage.material(c)).isSameAs(m);
    assertThat(TlsStage.material(c).context()).isSameAs(m.context());
  }

  @Test
  void aCaFileRewrittenInPlaceWithItsOldTimeIsSeenByItsSize() throws Exception {
    server = new Server(i -> "good");
    Path ca = dir.resolve("ca.pem");
    FileTime old = FileTime.from(Instant.now().minusSeconds(3600));
    Files.writeString(ca, pem(pki.otherCa));
    Files.setLastModifiedTime(ca, old);
    TlsConfig c = caFile(ca);
    assertThat(probe(c).outcome()).isEqualTo(TlsStage.UNKNOWN_AUTHORITY);
    Object inode = Files.readAttributes(ca,
        java.nio.file.attribute.BasicFileAttributes.class).fileKey();
    Files.writeString(ca, pem(pki.ca));
    Files.setLastModifiedTime(ca, old);
    assertThat(Files.readAttributes(ca, java.nio.file.attribute.BasicFileAttributes.class)
        .fileKey()).isEqualTo(inode);
    assertThat(probe(c).outcome()).isEqualTo(TlsStage.ESTABLISHED);
  }

  @Test
  void aCaFileRenamedOverTheOldOneWithItsSizeAndTimeIsSeenByItsInode() throws Exception {
    server = new Server(i -> "good");
    String untrusted = pem(pki.otherCa);
    String trusted = pem(pki.ca);
    int n = Math.max(untrusted.length(), trusted.length());
    // text outside the PEM blocks is ignored: both versions padded to the same size
    untrusted = untrusted + "#".repeat(n - untrusted.length()) + "\n";
    trusted = trusted + "#".repeat(n - trusted.length()) + "\n";
    FileTime old = FileTime.from(Instant.now().minusSeconds(3600));
    Path ca = dir.resolve("ca.pem");
    Files.writeString(ca, untrusted);
    Files.setLastModifiedTime(ca, old);
    TlsConfig c = caFile(ca);
    assertThat(probe(c).outcome()).isEqualTo(TlsStage.UNKNOWN_AUTHORITY);
    Path next = dir.resolve("ca.pem.new");
    Files.writeString(next, trusted);
    Files.setLastModifiedTime(next, old);
    Files.move(next, ca, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    assertThat(Files.size(ca)).isEqualTo(untrusted.length());
    assertThat(Files.getLastModifiedTime(ca)).isEqualTo(old);
    assertThat(probe(c).outcome()).isEqualTo(TlsStage.ESTABLISHED);
  }

  @Test
  void aMissingCaFileIsAConfigErrorAtTheNextProbeAndItsReturnIsUsedAgain() throws Exception {
    server = new Server(i -> "good");
    Path ca = dir.resolve("ca.pem");
    Files.writeString(ca, pem(pki.ca));
    Files.setLastModifiedTime(ca, FileTime.from(Instant.now().minusSeconds(3600)));
    TlsConfig c = caFile(ca);
    assertThat(probe(c).outcome()).isEqualTo(TlsStage.ESTABLISHED);
    Files.delete(ca);
    try {
      TlsStage.material(c);
      org.junit.jupiter.api.Assertions.fail("a missing ca_file was not noticed");
    } catch (IOException e) {
      assertThat(e.getMessage()).isEqualTo("ca_file " + ca + ": no such file");
    }
    Files.writeString(ca, pem(pki.ca));
    assertThat(probe(c).outcome()).isEqualTo(TlsStage.ESTABLISHED);
  }

  @ParameterizedTest
  @EnumSource(value = TlsConfig.Version.class, names = {"TLS12", "TLS13"})
  void probesInARowEachVerifyTheCertificateTheServerSendsThen(TlsConfig.Version version)
      throws Exception {
    // the server's first two connections show the trusted certificate, the third a stranger's;
    // a client that resumed the session (TLS 1.2: by its ID, cached at the client's Finished;
    // TLS 1.3: by the ticket the server sends after its handshake, which the probe takes in as
    // it reads the greeting) would see no certificate on the second and third
    server = new Server(i -> i < 2 ? "good" : "stranger");
    Path ca = dir.resolve("ca.pem");
    Files.writeString(ca, pem(pki.ca));
    Files.setLastModifiedTime(ca, FileTime.from(Instant.now().minusSeconds(3600)));
    TlsConfig c = new TlsConfig(null, ca, null, null, null, null, null, null, null, null, false,
        version, version);
    TlsStage.Result first = probe(c);
    TlsStage.Result second = probe(c);
    TlsStage.Result third = probe(c);
    assertThat(TlsStage.material(c).context().getClientSessionContext().getSessionCacheSize())
        .isEqualTo(1);
    assertThat(first.outcome()).isEqualTo(TlsStage.ESTABLISHED);
    assertThat(first.version()).isEqualTo(version.label());
    assertThat(first.peer()).first().isEqualTo(good.x509());
    assertThat(first.verified()).containsExactly(good.x509(), pki.ca);
    assertThat(second.outcome()).isEqualTo(TlsStage.ESTABLISHED);
    assertThat(second.peer()).first().isEqualTo(good.x509());
    assertThat(second.verified()).containsExactly(good.x509(), pki.ca);
    assertThat(third.outcome()).isEqualTo(TlsStage.UNKNOWN_AUTHORITY);
    assertThat(third.peer()).first().isEqualTo(stranger.x509());
  }

  @Test
  void concurrentProbesSharingOneClientEachGetTheirOwnVerdict() throws Exception {
    // even connections show the trusted certificate, odd ones a stranger's: every probe's
    // verdict must come from its own connection's certificate, not a neighbour's
    server = new Server(i -> i % 2 == 0 ? "good" : "stranger");
    Path ca = dir.resolve("ca.pem");
    Files.writeString(ca, pem(pki.ca));
    Files.setLastModifiedTime(ca, FileTime.from(Instant.now().minusSeconds(3600)));
    TlsConfig c = caFile(ca);
    List<Thread> threads = new java.util.ArrayList<>();
    List<TlsStage.Result> results = java.util.Collections.synchronizedList(
        new java.util.ArrayList<>());
    for (int i = 0; i < 8; i++) {
      threads.add(Thread.ofPlatform().start(() -> {
        try {
          results.add(probe(c));
        } catch (Exception e) {
          results.add(TlsStage.Result.of("exception", e.toString()));
        }
      }));
    }
    for (Thread t : threads) {
      t.join(Duration.ofSeconds(20));
    }
    assertThat(results).hasSize(8);
    for (TlsStage.Result r : results) {
      X509Certificate sent = r.peer().getFirst();
      if (sent.equals(good.x509())) {
        assertThat(r.outcome()).isEqualTo(TlsStage.ESTABLISHED);
        assertThat(r.verified()).containsExactly(good.x509(), pki.ca);
      } else {
        assertThat(sent).isEqualTo(stranger.x509());
        assertThat(r.outcome()).isEqualTo(TlsStage.UNKNOWN_AUTHORITY);
      }
    }
    assertThat(results.stream().filter(TlsStage.Result::ok).count()).isEqualTo(4);
  }

  @Test
  void aChainSeenBeforeGetsThePathBuiltForItAndEveryOtherCheckAgain() throws Exception {
    java.util.Map<List<X509Certificate>, TlsStage.Built> paths =
        new java.util.concurrent.ConcurrentHashMap<>();
    java.util.Set<java.security.cert.TrustAnchor> anchors =
        java.util.Set.of(new java.security.cert.TrustAnchor(pki.ca, null));
    List<X509Certificate> chain = List.of(good.x509(), pki.ca);
    java.util.Date now = new java.util.Date();
    TlsStage.Verifier first = new TlsStage.Verifier(anchors, "127.0.0.1", false, paths);
    assertThat(first.verify(chain, anchors, "127.0.0.1", now)).isEmpty();
    assertThat(first.verified).containsExactly(good.x509(), pki.ca);
    assertThat(paths).containsOnlyKeys(chain);
    // the same chain as a later handshake parses it: equal, not the same objects
    List<X509Certificate> again = Pem.certificates(Files.readString(good.cert()), "chain");
    TlsStage.Verifier second = new TlsStage.Verifier(anchors, "127.0.0.1", false, paths);
    assertThat(second.verify(again, anchors, "127.0.0.1", now)).isEmpty();
    assertThat(second.verified).containsExactly(good.x509(), pki.ca);
    assertThat(paths).hasSize(1);
    // the name and the leaf's validity are still checked at every probe
    assertThat(new TlsStage.Verifier(anchors, "other.test", false, paths)
        .verify(again, anchors, "other.test", now)[0]).isEqualTo(TlsStage.HOSTNAME_MISMATCH);
    java.util.Date later = new java.util.Date(good.x509().getNotAfter().getTime() + 1);
    assertThat(new TlsStage.Verifier(anchors, "127.0.0.1", false, paths)
        .verify(again, anchors, "127.0.0.1", later)[0]).isEqualTo(TlsStage.CERTIFICATE_EXPIRED);
    // a failure is not kept: a chain no anchor signed is built (and refused) every time
    List<X509Certificate> strange = List.of(stranger.x509(), pki.otherCa);
    assertThat(new TlsStage.Verifier(anchors, "127.0.0.1", false, paths)
        .verify(strange, anchors, "127.0.0.1", now)[0]).isEqualTo(TlsStage.UNKNOWN_AUTHORITY);
    assertThat(paths).hasSize(1);
  }

  @Test
  void aBuiltPathIsUsedUntilACertificateOfTheChainChangesValidityAndTenMinutesAtMost()
      throws Exception {
    long now = System.currentTimeMillis();
    List<X509Certificate> path = List.of(good.x509(), pki.ca);
    // good: valid from an hour ago for 90 days; the CA for ten years: ten minutes at most
    assertThat(TlsStage.Built.of(path, path, pki.ca, now).until()).isEqualTo(now + 600_000);
    TestPki.Pair soon = pki.server("soon", List.of("127.0.0.1"),
        Instant.ofEpochMilli(now).minusSeconds(60), Instant.ofEpochMilli(now).plusSeconds(120),
        true);
    List<X509Certificate> expiring = List.of(soon.x509(), pki.ca);
    assertThat(TlsStage.Built.of(expiring, expiring, pki.ca, now).until())
        .isEqualTo(soon.x509().getNotAfter().getTime() + 1);
    // an extra certificate the server sends that becomes valid in a minute ends it then
    TestPki.Pair future = pki.server("future", List.of("127.0.0.1"),
        Instant.ofEpochMilli(now).plusSeconds(60), Instant.ofEpochMilli(now).plusSeconds(86400),
        true);
    List<X509Certificate> sent = List.of(good.x509(), pki.ca, future.x509());
    assertThat(TlsStage.Built.of(sent, path, pki.ca, now).until())
        .isEqualTo(future.x509().getNotBefore().getTime());
  }

  private static TlsConfig caFile(Path ca) {
    return new TlsConfig(null, ca, null, null, null, null, null, null, null, null, false, null,
        null);
  }

  private TlsStage.Result probe(TlsConfig c) throws Exception {
    TlsStage.Material m = TlsStage.material(c);
    SocketChannel ch = SocketChannel.open(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()));
    try (Wire w = new Wire(ch, System.nanoTime() + Duration.ofSeconds(10).toNanos())) {
      TlsStage.Result r = TlsStage.handshake(w, m, "127.0.0.1");
      if (r.ok()) {
        java.nio.ByteBuffer greeting = java.nio.ByteBuffer.allocate(GREETING.length);
        while (greeting.hasRemaining() && w.read(greeting) > 0) {
          // the whole greeting, after whatever the server sent first (a TLS 1.3 ticket)
        }
        assertThat(greeting.array()).isEqualTo(GREETING);
      }
      return r;
    }
  }

  private static final byte[] GREETING = "hello\n".getBytes(StandardCharsets.US_ASCII);

  private static String pem(X509Certificate c) throws IOException {
    StringWriter s = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(s)) {
      w.writeObject(c);
    }
    return s.toString();
  }

  /**
   * A JDK TLS server on 127.0.0.1 with both certificates; {@code alias} picks the one shown on
   * the i-th connection (0 first). It keeps sessions and issues tickets, as the JDK does.
   */
  final class Server implements AutoCloseable {
    final SSLServerSocket socket;
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger handshakes = new AtomicInteger();
    final Thread acceptor;

    Server(IntFunction<String> alias) throws Exception {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      char[] pw = new char[0];
      for (var e : java.util.Map.of("good", good, "stranger", stranger).entrySet()) {
        List<X509Certificate> chain = Pem.certificates(Files.readString(e.getValue().cert()), "c");
        PrivateKey key = Pem.privateKey(Files.readString(e.getValue().key()), "k");
        ks.setKeyEntry(e.getKey(), key, pw, chain.toArray(X509Certificate[]::new));
      }
      KeyManagerFactory kmf = KeyManagerFactory.getInstance("NewSunX509");
      kmf.init(ks, pw);
      X509ExtendedKeyManager base = (X509ExtendedKeyManager) kmf.getKeyManagers()[0];
      ThreadLocal<String> current = new ThreadLocal<>();
      X509ExtendedKeyManager chooser = new X509ExtendedKeyManager() {
        @Override
        public String chooseServerAlias(String type, Principal[] issuers, Socket s) {
          return current.get();
        }

        @Override
        public String chooseEngineServerAlias(String type, Principal[] issuers, SSLEngine e) {
          return current.get();
        }

        @Override
        public X509Certificate[] getCertificateChain(String a) {
          // the JDK's key manager names its entries with a prefix: find ours by suffix
          for (String k : base.getServerAliases("EC", null)) {
            if (k.endsWith("." + a)) {
              return base.getCertificateChain(k);
            }
          }
          return base.getCertificateChain(a);
        }

        @Override
        public PrivateKey getPrivateKey(String a) {
          for (String k : base.getServerAliases("EC", null)) {
            if (k.endsWith("." + a)) {
              return base.getPrivateKey(k);
            }
          }
          return base.getPrivateKey(a);
        }

        @Override
        public String[] getServerAliases(String type, Principal[] issuers) {
          return base.getServerAliases(type, issuers);
        }

        @Override
        public String[] getClientAliases(String type, Principal[] issuers) {
          return null;
        }

        @Override
        public String chooseClientAlias(String[] type, Principal[] issuers, Socket s) {
          return null;
        }
      };
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(new javax.net.ssl.KeyManager[] {chooser}, null, null);
      socket = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 50,
          InetAddress.getLoopbackAddress());
      // one thread per connection, so that concurrent probes' handshakes overlap
      acceptor = Thread.ofPlatform().daemon().name("tls-cache-test-server").start(() -> {
        while (!socket.isClosed()) {
          try {
            SSLSocket s = (SSLSocket) socket.accept();
            int i = connections.getAndIncrement();
            Thread.ofVirtual().start(() -> serve(s, alias.apply(i), current));
          } catch (IOException e) {
            return; // closed by close()
          }
        }
      });
    }

    private void serve(SSLSocket s, String alias, ThreadLocal<String> current) {
      try (s) {
        s.setSoTimeout(10_000);
        current.set(alias);
        s.startHandshake();
        handshakes.incrementAndGet();
        s.getOutputStream().write(GREETING);
        s.getOutputStream().flush();
        InputStream in = s.getInputStream();
        while (in.read() >= 0) {
          // until the client closes
        }
      } catch (IOException e) {
        // a client that refused the certificate
      }
    }

    int port() {
      return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      socket.close();
      try {
        acceptor.join(Duration.ofSeconds(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
