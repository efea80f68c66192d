package dev.tcpdial.netty;

import dev.tcpdial.DialException;
import dev.tcpdial.Dialer;
import dev.tcpdial.Target;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.BootstrapConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.AttributeKey;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Connects Netty channels with tcpdial instead of {@link Bootstrap#connect}: the name resolves to
 * all its addresses, which are dialed with Happy Eyeballs (RFC 8305) within the {@link Dialer}'s
 * deadline and retries; the connected {@link SocketChannel} becomes a {@link NioSocketChannel}
 * registered on the bootstrap's event loop group, with the bootstrap's handler, options and
 * attributes, exactly as {@code bootstrap.connect(host, port)} would have set it up.
 *
 * <pre>{@code
 * Dialer dialer = Dialer.builder().mode(Mode.ASYNC).deadline(Duration.ofSeconds(5)).build();
 * NettyDialer netty = new NettyDialer(dialer);
 * ChannelFuture f = netty.connect(bootstrap, "db.example", 5432);
 * }</pre>
 *
 * <p>What tcpdial takes over: resolution (the {@link Dialer}'s {@link dev.tcpdial.Resolver}, not
 * the bootstrap's resolver), the connect and its timeout (the dialer's {@code connectTimeout} and
 * {@code deadline}; the bootstrap's {@link ChannelOption#CONNECT_TIMEOUT_MILLIS} is not used) and
 * the local address (the dialer's). What stays the bootstrap's: the event loop group, the channel
 * and its pipeline, options, attributes. Options are applied once the socket is connected; those
 * that must be set before the SYN (receive buffer for window scaling) belong in the dialer's
 * {@link dev.tcpdial.SocketConfigurer}.
 *
 * <p>Needs Netty 4.2 or newer: on 4.1 the constructor throws {@link IllegalStateException}
 * saying so.
 *
 * <p>The transport is NIO: the group must accept a {@link NioSocketChannel} (a {@code
 * MultiThreadIoEventLoopGroup} with {@code NioIoHandler.newFactory()}); {@code connect} refuses
 * another group before dialing. Epoll is not offered: {@code EpollSocketChannel(fd)} would need
 * the descriptor of a JDK channel, which only the JDK's internals give, and two owners of one
 * descriptor.
 *
 * <p>Thread-safe; holds no resource of its own. The dialer is the caller's to close ({@link
 * dev.tcpdial.Mode#ASYNC} is the natural mode here: one selector thread for all dials).
 */
public final class NettyDialer {
  private static final InternalLogger LOG = InternalLoggerFactory.getInstance(NettyDialer.class);

  /** Why the Netty on the class path cannot be used, or null. */
  private static final String UNSUPPORTED = unsupported();

  private final Dialer dialer;

  /**
   * A Netty connector dialing with {@code dialer}.
   *
   * @param dialer the dialer whose options every connect uses
   * @throws IllegalStateException when the class path has a Netty older than 4.2, whose event
   *     loops this class cannot tell apart (its message says which version was found)
   */
  public NettyDialer(Dialer dialer) {
    if (UNSUPPORTED != null) {
      throw new IllegalStateException(UNSUPPORTED);
    }
    this.dialer = Objects.requireNonNull(dialer, "dialer");
  }

  // Netty 4.2's IoEventLoop tells which transport a loop runs. On 4.1 this class loads, and the
  // first connect failed with NoClassDefFoundError: io/netty/channel/IoEventLoop; the check is
  // made once, by name, without linking the class.
  private static String unsupported() {
    ClassLoader loader = NettyDialer.class.getClassLoader();
    try {
      Class.forName("io.netty.channel.IoEventLoop", false, loader);
      return null;
    } catch (ClassNotFoundException | LinkageError e) {
      String found = "an older one";
      try {
        io.netty.util.Version v = io.netty.util.Version.identify(loader).get("netty-transport");
        if (v != null) {
          found = "netty-transport " + v.artifactVersion();
        }
      } catch (RuntimeException | LinkageError unknown) {
        // no version resources: "an older one"
      }
      return "tcpdial-netty needs Netty 4.2 or newer, and the class path has " + found
          + " (io.netty.channel.IoEventLoop is missing)";
    }
  }

  /**
   * The dialer every connect uses.
   *
   * @return the dialer
   */
  public Dialer dialer() {
    return dialer;
  }

  /**
   * Connects to the bootstrap's {@link Bootstrap#remoteAddress remote address}.
   *
   * @param bootstrap the group, handler, options and attributes of the channel
   * @return the connect's future, as {@link #connect(Bootstrap, Target)}
   * @throws IllegalStateException when the bootstrap has no remote address, or cannot be used as
   *     {@link #connect(Bootstrap, Target)} says
   * @throws IllegalArgumentException when the port is 0, or the address is unresolved and its
   *     name is not a valid host name (a resolved one is dialed by its address then)
   */
  public ChannelFuture connect(Bootstrap bootstrap) {
    SocketAddress remote = bootstrap.config().remoteAddress();
    if (!(remote instanceof InetSocketAddress isa)) {
      throw new IllegalStateException("the bootstrap has no remote host and port: " + remote);
    }
    return connect(bootstrap, target(isa));
  }

  // The address's host name when it is a valid one, else its address: a resolved address whose
  // name tcpdial would refuse (a reverse lookup's odd answer) is still dialed.
  private static Target target(InetSocketAddress isa) {
    try {
      return new Target(isa.getHostString(), isa.getPort());
    } catch (IllegalArgumentException e) {
      if (isa.isUnresolved()) {
        throw e;
      }
      return Target.of(isa.getAddress(), isa.getPort());
    }
  }

  /**
   * Connects to {@code host}:{@code port}.
   *
   * @param bootstrap the group, handler, options and attributes of the channel
   * @param host a host name or an address literal
   * @param port the port, 1 to 65535
   * @return the connect's future, as {@link #connect(Bootstrap, Target)}
   * @throws IllegalArgumentException when the host or the port is not valid
   * @throws IllegalStateException when the bootstrap cannot be used, as {@link #connect(Bootstrap,
   *     Target)}
   */
  public ChannelFuture connect(Bootstrap bootstrap, String host, int port) {
    return connect(bootstrap, new Target(host, port));
  }

  /**
   * Dials {@code target} with tcpdial, then registers the connected channel on one of the
   * bootstrap's event loops with its handler, options and attributes. Returns at once.
   *
   * <p>The future succeeds once the channel is registered and active (the pipeline has seen
   * {@code channelRegistered} and {@code channelActive}, once each); {@link
   * ChannelFuture#channel()} is that channel, and {@code null} until then and on failure. It fails
   * with the {@link DialException} (outcome, errno, every attempt) when the dial fails. Cancelling
   * it cancels the dial and closes every socket the dial opened; a channel that arrives after the
   * cancel is closed. Listeners run on the event loop the channel is (or would have been)
   * registered on.
   *
   * @param bootstrap the group, handler, options and attributes of the channel
   * @param target where to connect
   * @return the connect's future
   * @throws IllegalStateException when the bootstrap has no group or no handler, has a local
   *     address (the dialer's option), or its group is not an NIO group; nothing is dialed then
   */
  public ChannelFuture connect(Bootstrap bootstrap, Target target) {
    Objects.requireNonNull(target, "target");
    BootstrapConfig config = bootstrap.config();
    EventLoopGroup group = config.group();
    ChannelHandler handler = config.handler();
    if (group == null) {
      throw new IllegalStateException("group not set");
    }
    if (handler == null) {
      throw new IllegalStateException("handler not set");
    }
    Map<ChannelOption<?>, Object> options = config.options();
    Map<AttributeKey<?>, Object> attrs = config.attrs();
    if (config.localAddress() != null) {
      throw new IllegalStateException("a local address is the Dialer's option"
          + " (Dialer.Builder.localAddress), not the bootstrap's: " + text(config.localAddress()));
    }
    EventLoop loop = group.next();
    if (loop instanceof IoEventLoop io && !io.isIoType(NioIoHandler.class)) {
      throw new IllegalStateException("NettyDialer makes NIO channels: the bootstrap's group must"
          + " run NioIoHandler (new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory())), not "
          + loop.getClass().getName());
    }
    DialFuture promise = new DialFuture(loop);
    CompletableFuture<SocketChannel> dial = dialer.dialAsync(target);
    promise.onCancel(() -> dial.cancel(true));
    dial.whenComplete((sc, error) -> {
      if (error != null) {
        promise.tryFailure(error instanceof CompletionException && error.getCause() != null
            ? error.getCause() : error);
        return;
      }
      if (promise.isDone()) { // cancelled while the dial finished: the loser closes
        closeQuietly(sc);
        return;
      }
      NioSocketChannel ch;
      try {
        ch = new NioSocketChannel(sc);
        init(ch, handler, options, attrs);
      } catch (RuntimeException e) {
        closeQuietly(sc);
        promise.tryFailure(e);
        return;
      }
      loop.register(ch).addListener(r -> {
        if (!r.isSuccess()) {
          ch.unsafe().closeForcibly();
          promise.tryFailure(r.cause());
          return;
        }
        if (!promise.complete(ch)) {
          ch.close(); // cancelled during registration
        }
      });
    });
    return promise;
  }

  // 127.0.0.1:0, [::1]:0: the address as people write it (Target's host), not the JDK's /127.0.0.1:0
  private static String text(SocketAddress a) {
    if (a instanceof InetSocketAddress i && i.getAddress() != null) {
      String h = Target.of(i.getAddress(), 1).host();
      return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + i.getPort();
    }
    return String.valueOf(a);
  }

  @SuppressWarnings("unchecked")
  private static void init(Channel ch, ChannelHandler handler, Map<ChannelOption<?>, Object> options,
      Map<AttributeKey<?>, Object> attrs) {
    ch.pipeline().addLast(handler);
    for (Map.Entry<ChannelOption<?>, Object> e : options.entrySet()) {
      if (!ch.config().setOption((ChannelOption<Object>) e.getKey(), e.getValue())) {
        LOG.warn("Unknown channel option '{}' for channel '{}'", e.getKey(), ch);
      }
    }
    for (Map.Entry<AttributeKey<?>, Object> e : attrs.entrySet()) {
      ch.attr((AttributeKey<Object>) e.getKey()).set(e.getValue());
    }
  }

  private static void closeQuietly(SocketChannel sc) {
    try {
      sc.close();
    } catch (IOException e) {
      // nothing left to tell anyone
    }
  }
}
