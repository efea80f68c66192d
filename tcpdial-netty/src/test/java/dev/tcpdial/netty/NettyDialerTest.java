package dev.tcpdial.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tcpdial.DialException;
import dev.tcpdial.Dialer;
import dev.tcpdial.Errno;
import dev.tcpdial.Mode;
import dev.tcpdial.Outcome;
import dev.tcpdial.Resolver;
import dev.tcpdial.SilentPeer;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link NettyDialer} against a Netty echo server on 127.0.0.1; 127.0.0.2 on the same port is
 * silent (a full accept queue). Names come from an injected resolver.
 */
class NettyDialerTest {
  static final AttributeKey<String> TAG = AttributeKey.valueOf("tcpdial-test-tag");
  static EventLoopGroup group;
  static Channel server;
  static SilentPeer silent;
  static int port;
  static int closedPort;
  static Dialer dialer;
  static NettyDialer netty;

  @BeforeAll
  static void start() throws Exception {
    group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInboundHandlerAdapter() {
          @Override
          public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
          }

          @Override
          public boolean isSharable() {
            return true;
          }
        }).bind("127.0.0.1", 0).sync().channel();
    port = ((InetSocketAddress) server.localAddress()).getPort();
    silent = new SilentPeer(new InetSocketAddress("127.0.0.2", port));
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      closedPort = s.getLocalPort();
    }
    InetAddress dead = InetAddress.ofLiteral("127.0.0.2");
    InetAddress live = InetAddress.ofLiteral("127.0.0.1");
    dialer = Dialer.builder().mode(Mode.ASYNC).connectTimeout(Duration.ofSeconds(5))
        .resolver(Resolver.of(Map.of(
            "silent-first.test", List.of(dead, live),
            "live.test", List.of(live),
            "dead.test", List.of(dead))))
        .build();
    netty = new NettyDialer(dialer);
    // class loading and the loops' threads before anything is timed or counted
    for (int i = 0; i < 20; i++) {
      Channel c = netty.connect(client(new Counter()), "live.test", port).sync().channel();
      c.close().sync();
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (dialer != null) {
      dialer.close();
    }
    if (silent != null) {
      silent.close();
    }
    if (server != null) {
      server.close().sync();
    }
    if (group != null) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  /** Counts channelActive and hands every read to a queue. */
  static final class Counter extends ChannelInboundHandlerAdapter {
    final AtomicInteger active = new AtomicInteger();
    final BlockingQueue<String> reads = new ArrayBlockingQueue<>(16);

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      active.incrementAndGet();
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf b = (ByteBuf) msg;
      reads.add(b.toString(StandardCharsets.UTF_8));
      b.release();
    }

    @Override
    public boolean isSharable() {
      return true;
    }
  }

  static Bootstrap client(ChannelHandler handler) {
    return new Bootstrap().group(group).channel(NioSocketChannel.class).handler(handler);
  }

  @Test
  void silentFirstAddressConnectsInAboutTheAttemptDelay() throws Exception {
    Counter counter = new Counter();
    Bootstrap b = client(counter).option(ChannelOption.TCP_NODELAY, true)
        .attr(TAG, "mine");
    long t0 = System.nanoTime();
    ChannelFuture f = netty.connect(b, "silent-first.test", port);
    Channel ch = f.sync().channel();
    double ms = (System.nanoTime() - t0) / 1e6;
    System.out.printf("netty: silent first address, connected in %.1f ms (attempt delay 250 ms)%n",
        ms);
    try {
      assertThat(ms).isBetween(240.0, 1000.0);
      assertThat(((InetSocketAddress) ch.remoteAddress()).getAddress().getHostAddress())
          .isEqualTo("127.0.0.1");
      assertThat(ch.isActive()).isTrue();
      assertThat(ch.config().getOption(ChannelOption.TCP_NODELAY)).isTrue();
      assertThat(ch.attr(TAG).get()).isEqualTo("mine");
      ch.writeAndFlush(Unpooled.copiedBuffer("ping", StandardCharsets.UTF_8)).sync();
      assertThat(counter.reads.poll(5, TimeUnit.SECONDS)).isEqualTo("ping");
      assertThat(counter.active.get()).isEqualTo(1);
    } finally {
      ch.close().sync();
    }
    assertThat(counter.active.get()).isEqualTo(1);
  }

  @Test
  void aGroupOfAnotherTransportOrALocalAddressIsRefusedBeforeDialing() throws Exception {
    assertThatThrownBy(() -> netty.connect(client(new Counter())
        .localAddress(new InetSocketAddress("127.0.0.1", 0)), "live.test", port))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("Dialer's option")
        .hasMessageEndingWith("not the bootstrap's: 127.0.0.1:0");
    Assumptions.assumeTrue(Epoll.isAvailable(), "no native epoll transport here");
    EventLoopGroup epoll = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try {
      long baseline = SilentPeer.openFds();
      assertThatThrownBy(() -> netty.connect(new Bootstrap().group(epoll)
          .channel(NioSocketChannel.class).handler(new Counter()), "live.test", port))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("NioIoHandler");
      assertThat(SilentPeer.openFds()).as("nothing dialed").isEqualTo(baseline);
    } finally {
      epoll.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  @Test
  void refusedFailsTheFutureWithTheOutcome() throws Exception {
    ChannelFuture f = netty.connect(client(new Counter()), "127.0.0.1", closedPort);
    assertThat(f.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(f.isSuccess()).isFalse();
    assertThat(f.channel()).isNull();
    assertThat(f.cause()).isInstanceOf(DialException.class);
    DialException e = (DialException) f.cause();
    assertThat(e.outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(e.errno()).isEqualTo(Errno.ECONNREFUSED);
    assertThat(e.result().attempts()).hasSize(1);
  }

  @Test
  void cancelledFutureLeavesNoDescriptor() throws Exception {
    long baseline = SilentPeer.openFds();
    Counter counter = new Counter();
    List<ChannelFuture> futures = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      futures.add(netty.connect(client(counter), "dead.test", port));
    }
    Thread.sleep(300);
    assertThat(SilentPeer.openFds()).as("sockets in SYN_SENT").isGreaterThanOrEqualTo(baseline + 20);
    for (ChannelFuture f : futures) {
      assertThat(f.cancel(false)).isTrue();
      assertThat(f.isCancelled()).isTrue();
    }
    assertThat(SilentPeer.awaitFds(baseline)).isEqualTo(baseline);
    assertThat(counter.active.get()).isZero();
  }

  @Test
  void aThousandConnectsLeaveTheDescriptorCountAtItsBaseline() throws Exception {
    long baseline = SilentPeer.openFds();
    Counter counter = new Counter();
    long t0 = System.nanoTime();
    for (int round = 0; round < 20; round++) {
      List<ChannelFuture> futures = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        futures.add(netty.connect(client(counter), "live.test", port));
      }
      for (ChannelFuture f : futures) {
        f.sync().channel().close().sync();
      }
    }
    System.out.printf("netty: 1,000 connects and closes in %.0f ms%n",
        (System.nanoTime() - t0) / 1e6);
    assertThat(counter.active.get()).isEqualTo(1000);
    assertThat(SilentPeer.awaitFds(baseline)).isEqualTo(baseline);
  }
}
