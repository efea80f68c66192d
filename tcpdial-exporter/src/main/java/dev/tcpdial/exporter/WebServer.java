package dev.tcpdial.exporter;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The exporter's HTTP/1.1 server (Netty, one event-loop thread, TLS through the JDK): it sees a
 * client leave while its request is being answered, and keeps room for every client under load.
 *
 * <p>Limits, all on the event loop, so without locks:
 *
 * <ul>
 *   <li>A connection must deliver a whole request (TLS handshake, line, headers, body) within
 *       {@code requestTimeout} of being accepted, or of its first byte after an answer; a
 *       connection idle between requests is closed after {@link #IDLE}.
 *   <li>At most {@code maxConnections} connections. At the limit a new connection takes the place
 *       of the one idle longest, else of the one sending its request longest if for {@link
 *       #EVICT_AFTER} at least, else it is closed; a connection whose request is being answered
 *       is never evicted. The owner bounds the busy ones ({@code --max-concurrent} probes, {@link #QUEUE} control requests), so with
 *       {@code maxConnections} above that sum a newcomer always finds room: slow or idle clients
 *       cannot keep {@code /metrics} or {@code /-/healthy} out.
 *   <li>One request at a time per connection; pipelined requests wait in order, at most {@link
 *       #PIPELINE} of them, then the connection is closed.
 *   <li>Request line 8 KiB, headers 16 KiB, body 64 KiB.
 * </ul>
 *
 * <p>{@code --web.config.file} (exporter toolkit): TLS is on when the file has {@code
 * tls_server_config} at start; the file is looked at again (by modification time and size, with
 * its certificate files) for every connection and request, so users, headers and certificates
 * change without a restart; a file that became invalid answers 500 and fails new handshakes until
 * it is fixed, as the toolkit does. Basic authentication checks bcrypt hashes one at a time off the
 * event loop and caches the verdicts.
 */
final class WebServer implements AutoCloseable {
  /** A connection idle between requests longer than this is closed. */
  static final Duration IDLE = Duration.ofMinutes(2);
  /** How long a connection must have been sending its request before a newcomer may evict it. */
  static final Duration EVICT_AFTER = Duration.ofMillis(500);
  /** Requests that may wait behind the one being answered on a connection. */
  static final int PIPELINE = 16;
  /** Requests that may wait for the control thread, and for the bcrypt thread, each. */
  static final int QUEUE = 32;
  /** Connections past {@code --max-concurrent} kept at the least for everything but probes. */
  static final int RESERVE = 2 * (QUEUE + 1) + 34;
  private static final int MAX_LINE = 8192;
  private static final int MAX_HEADERS = 16384;
  private static final int MAX_BODY = 65536;
  private static final int AUTH_CACHE = 256;

  /** Answers requests; called on the event loop, so it must not block. */
  interface Handler {
    void handle(Exchange ex);
  }

  /**
   * How the server runs.
   *
   * @param listen address and port
   * @param maxConnections connections at once
   * @param requestTimeout time to deliver a request
   * @param webConfigFile the exporter toolkit's web configuration, or null
   */
  record Options(InetSocketAddress listen, int maxConnections, Duration requestTimeout,
      Path webConfigFile) {}

  private final Options options;
  private final Handler handler;
  private final Log log;
  private final WebSource web;
  private final Limiter limiter;
  private final EventLoopGroup loop;
  private final ExecutorService bcrypt;
  private final Map<String, Boolean> authCache = new LinkedHashMap<>(64, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> e) {
      return size() > AUTH_CACHE;
    }
  };
  // event loop only
  private final Set<Conn> idle = new LinkedHashSet<>();
  private final Set<Conn> reading = new LinkedHashSet<>();
  private final Set<Conn> all = new LinkedHashSet<>();
  private Channel server;
  private volatile boolean closing;

  static {
    // Netty names every channel with the machine's hardware address, looked up once; where there
    // is none (a container or a namespace with only lo) it writes a warning through
    // java.util.logging, outside the exporter's log, and takes random bytes. Random bytes from the
    // start: the same ids' uniqueness, no lookup, no stray line.
    if (System.getProperty("io.netty.machineId") == null) {
      byte[] id = new byte[8];
      java.util.concurrent.ThreadLocalRandom.current().nextBytes(id);
      System.setProperty("io.netty.machineId", java.util.HexFormat.ofDelimiter(":").formatHex(id));
    }
  }

  WebServer(Options options, Handler handler, Log log) throws WebConfig.Invalid {
    this.options = options;
    this.handler = handler;
    this.log = log;
    this.web = options.webConfigFile() == null ? null : new WebSource(options.webConfigFile());
    WebSource.Loaded first = web == null ? null : web.current();
    if (first != null && first.error() != null) {
      throw first.error();
    }
    this.limiter = first == null || first.config().rateLimit() == null ? null
        : new Limiter(first.config().rateLimit(), first.config().burst());
    this.loop = new MultiThreadIoEventLoopGroup(1,
        Thread.ofPlatform().name("tcpdial-http").daemon(true).factory(), NioIoHandler.newFactory());
    this.bcrypt = first == null || first.config().users().isEmpty() ? null
        : bounded("tcpdial-bcrypt");
  }

  /** Whether answers go out over TLS. */
  boolean tls() {
    return web != null && web.tls;
  }

  /** One platform thread, gone when idle, with a queue of {@link #QUEUE}. */
  static ThreadPoolExecutor bounded(String name) {
    ThreadPoolExecutor e = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(QUEUE), Thread.ofPlatform().name(name).daemon(true).factory());
    e.allowCoreThreadTimeOut(true);
    return e;
  }

  /** Binds and starts accepting. */
  void start() throws IOException {
    ServerBootstrap b = new ServerBootstrap()
        .group(loop)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.ALLOCATOR, UnpooledByteBufAllocator.DEFAULT)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            admit(ch);
          }
        });
    try {
      server = b.bind(options.listen()).sync().channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while binding");
    } catch (RuntimeException e) {
      loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      if (e instanceof java.nio.channels.UnresolvedAddressException) {
        throw new java.net.BindException("unresolved address");
      }
      throw e;
    } catch (Exception e) {
      loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      if (e instanceof IOException io) {
        throw io;
      }
      throw new IOException(e.getMessage(), e);
    }
  }

  InetSocketAddress address() {
    return (InetSocketAddress) server.localAddress();
  }

  /** Stops accepting; connections open go on until {@link #close}. */
  void stopAccepting() {
    closing = true;
    if (server != null) {
      server.close().awaitUninterruptibly(1000);
    }
  }

  /** Closes every connection and stops the event loop; returns within about a second. */
  @Override
  public void close() {
    stopAccepting();
    loop.execute(() -> new ArrayList<>(all).forEach(c -> c.ch.close()));
    loop.shutdownGracefully(0, 500, TimeUnit.MILLISECONDS).awaitUninterruptibly(1500);
    if (bcrypt != null) {
      bcrypt.shutdownNow();
    }
  }

  // ---- connections ----

  private enum State { READING, BUSY, IDLE }

  /** One connection's state; touched on the event loop only. */
  private final class Conn {
    final Channel ch;
    State state = State.READING;
    ScheduledFuture<?> timer;
    final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
    boolean bytesWhileBusy;
    long since;
    Exchange current;

    Conn(Channel ch) {
      this.ch = ch;
    }

    void enter(State s) {
      state = s;
      since = System.nanoTime();
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
      idle.remove(this); // re-added at the end: the order is by time of entering
      reading.remove(this);
      if (s != State.BUSY) {
        (s == State.IDLE ? idle : reading).add(this);
        Duration d = s == State.IDLE ? IDLE : options.requestTimeout();
        timer = ch.eventLoop().schedule(() -> {
          log.debug("connection closed: " + (state == State.IDLE ? "idle" : "request not"
              + " complete within --request-timeout"), "client", peer(ch));
          ch.close();
        }, d.toNanos(), TimeUnit.NANOSECONDS);
      }
    }

    void gone() {
      if (timer != null) {
        timer.cancel(false);
      }
      idle.remove(this);
      reading.remove(this);
      all.remove(this);
      waiting.forEach(FullHttpRequest::release);
      waiting.clear();
      Exchange ex = current;
      current = null;
      if (ex != null) {
        ex.clientGone();
      }
    }
  }

  private void admit(SocketChannel ch) {
    if (closing) {
      ch.close();
      return;
    }
    if (all.size() >= options.maxConnections()) {
      Conn oldest = evictable();
      if (oldest == null) {
        log.debug("connection refused: --max-connections reached, no connection to replace",
            "client", peer(ch));
        ch.close();
        return;
      }
      idle.remove(oldest);
      reading.remove(oldest);
      all.remove(oldest);
      log.debug("connection evicted for a new one: --max-connections reached", "client",
          peer(oldest.ch), "state", oldest.state.name().toLowerCase(java.util.Locale.ROOT));
      oldest.ch.close();
    }
    Conn c = new Conn(ch);
    all.add(c);
    if (web != null && web.tls) {
      WebSource.Loaded l = web.current();
      if (l.tls() == null) {
        log.debug("TLS handshake refused: the web configuration cannot be used", "client",
            peer(ch));
        all.remove(c);
        ch.close();
        return;
      }
      ch.pipeline().addLast("tls", new SslHandler(l.tls().engine()));
    }
    ch.pipeline().addLast("bytes", new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf b && b.isReadable()) {
          if (c.state == State.IDLE) {
            c.enter(State.READING);
          } else if (c.state == State.BUSY) {
            c.bytesWhileBusy = true;
          }
        }
        ctx.fireChannelRead(msg);
      }
    });
    ch.pipeline().addLast("decoder", new HttpRequestDecoder(MAX_LINE, MAX_HEADERS, 8192));
    ch.pipeline().addLast("encoder", new HttpResponseEncoder());
    ch.pipeline().addLast("aggregator", new HttpObjectAggregator(MAX_BODY, true));
    ch.pipeline().addLast("requests", new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest r)) {
          io.netty.util.ReferenceCountUtil.release(msg);
          return;
        }
        if (c.state == State.BUSY) {
          if (c.waiting.size() >= PIPELINE) {
            r.release();
            log.debug("connection closed: more than " + PIPELINE + " pipelined requests",
                "client", peer(ch));
            ch.close();
            return;
          }
          c.waiting.add(r);
          return;
        }
        begin(c, r);
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) {
        c.gone();
        ctx.fireChannelInactive();
      }

      @Override
      public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // a reset, a failed handshake, a decoding error past the codec: the connection goes
        log.debug("connection closed: " + cause, "client", peer(ch));
        ctx.close();
      }
    });
    c.enter(State.READING);
  }

  /**
   * The connection a newcomer may replace: the one idle longest; else the one that has been
   * sending its request longest, if for {@link #EVICT_AFTER} at least (a client that has just
   * connected is not cut off for the next); else none.
   */
  private Conn evictable() {
    if (!idle.isEmpty()) {
      return idle.iterator().next();
    }
    if (!reading.isEmpty()) {
      Conn c = reading.iterator().next();
      if (System.nanoTime() - c.since >= EVICT_AFTER.toNanos()) {
        return c;
      }
    }
    return null;
  }

  /** Starts answering {@code r} on {@code c}: checks, then the handler. Event loop. */
  private void begin(Conn c, FullHttpRequest r) {
    c.enter(State.BUSY);
    c.bytesWhileBusy = false;
    Exchange ex;
    try {
      ex = new Exchange(c, r);
    } finally {
      r.release();
    }
    c.current = ex;
    if (!r.decoderResult().isSuccess()) {
      ex.keepAlive = false;
      Throwable why = r.decoderResult().cause();
      ex.respond(why instanceof io.netty.handler.codec.http.TooLongHttpLineException ? 414
          : why instanceof io.netty.handler.codec.http.TooLongHttpHeaderException ? 431 : 400,
          "bad request: " + (why == null ? "malformed" : Config.oneLine(why.getMessage())) + "\n");
      return;
    }
    if (ex.path == null) {
      ex.respond(400, "bad request: the request target is not a path\n");
      return;
    }
    WebConfig cfg = null;
    if (web != null) {
      WebSource.Loaded l = web.current();
      if (l.error() != null) {
        ex.respond(500, "Internal Server Error\n");
        return;
      }
      cfg = l.config();
      ex.extra = cfg.headers();
    }
    if (limiter != null && !limiter.allow()) {
      ex.respond(429, "Too Many Requests\n");
      return;
    }
    if (cfg == null || cfg.users().isEmpty()) {
      handler.handle(ex);
      return;
    }
    authenticate(ex, cfg.users());
  }

  /** Basic authentication as the exporter toolkit does it; the handler runs when it holds. */
  private void authenticate(Exchange ex, Map<String, String> users) {
    String[] up = basic(ex.headers.get(HttpHeaderNames.AUTHORIZATION));
    if (up == null) {
      unauthorized(ex);
      return;
    }
    String hash = users.get(up[0]);
    boolean known = hash != null;
    // an unknown user is checked against a fixed hash all the same: the time does not tell
    String h = known ? hash : "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";
    String key = cacheKey(up[0], h, up[1]);
    Boolean cached = authCache.get(key);
    if (cached != null) {
      if (cached && known) {
        handler.handle(ex);
      } else {
        unauthorized(ex);
      }
      return;
    }
    Channel ch = ex.conn.ch;
    try {
      bcrypt.execute(() -> {
        boolean ok;
        try {
          ok = BCrypt.verifyer().verify(up[1].getBytes(StandardCharsets.UTF_8),
              h.getBytes(StandardCharsets.US_ASCII)).verified;
        } catch (RuntimeException e) {
          ok = false; // a password bcrypt cannot take (over 72 bytes)
        }
        boolean verdict = ok && known;
        ch.eventLoop().execute(() -> {
          authCache.put(key, verdict);
          if (ex.clientLeft()) {
            return;
          }
          if (verdict) {
            handler.handle(ex);
          } else {
            unauthorized(ex);
          }
        });
      });
    } catch (RejectedExecutionException e) {
      ex.respond(503, "too many authentications waiting\n", "Retry-After", "1");
    }
  }

  private static void unauthorized(Exchange ex) {
    ex.respond(401, "Unauthorized\n", "WWW-Authenticate", "Basic");
  }

  /** User and password of a {@code Basic} Authorization header, as Go's BasicAuth reads it. */
  static String[] basic(String header) {
    if (header == null || header.length() < 6
        || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(header.substring(6)),
          StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
    int colon = decoded.indexOf(':');
    return colon < 0 ? null : new String[] {decoded.substring(0, colon),
        decoded.substring(colon + 1)};
  }

  private static String cacheKey(String user, String hash, String pass) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      for (String s : List.of(user, hash, pass)) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        d.update(java.nio.ByteBuffer.allocate(4).putInt(b.length).array());
        d.update(b);
      }
      return java.util.HexFormat.of().formatHex(d.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Called on the event loop once {@code c}'s answer is written. */
  private void answered(Conn c, boolean keepAlive) {
    c.current = null;
    if (!keepAlive) {
      return; // closed once the answer is written
    }
    FullHttpRequest next = c.waiting.poll();
    if (next != null) {
      begin(c, next);
    } else {
      c.enter(c.bytesWhileBusy ? State.READING : State.IDLE);
    }
  }

  static String peer(Channel ch) {
    return ch.remoteAddress() instanceof InetSocketAddress a ? Prober.address(a)
        : String.valueOf(ch.remoteAddress());
  }

  // ---- one request ----

  /** A request being answered: what it asks, and its one answer. */
  final class Exchange {
    final String method;
    /** The raw path, or null when the request target is not one. */
    final String path;
    final String rawQuery;
    final HttpHeaders headers;
    private final Conn conn;
    private final boolean http10;
    private boolean keepAlive;
    private Map<String, String> extra = Map.of();
    private final AtomicBoolean answered = new AtomicBoolean();
    private final AtomicBoolean goneNotified = new AtomicBoolean();
    private volatile boolean gone;
    private volatile Runnable onGone;

    Exchange(Conn conn, FullHttpRequest r) {
      this.conn = conn;
      this.method = r.method().name();
      this.headers = r.headers().copy();
      this.http10 = r.protocolVersion().equals(HttpVersion.HTTP_1_0);
      this.keepAlive = HttpUtil.isKeepAlive(r);
      String uri = r.uri();
      String p = null;
      String q = null;
      if (uri.startsWith("/")) {
        int mark = uri.indexOf('?');
        p = mark < 0 ? uri : uri.substring(0, mark);
        q = mark < 0 ? null : uri.substring(mark + 1);
        int hash = p.indexOf('#');
        if (hash >= 0) {
          p = p.substring(0, hash);
        }
      } else if (uri.startsWith("http://") || uri.startsWith("https://")) {
        try {
          java.net.URI u = new java.net.URI(uri);
          p = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
          q = u.getRawQuery();
        } catch (java.net.URISyntaxException e) {
          p = null;
        }
      }
      if (q != null) {
        int hash = q.indexOf('#');
        if (hash >= 0) {
          q = q.substring(0, hash);
        }
      }
      this.path = p;
      this.rawQuery = q;
    }

    /** The client's address and port, for the log. */
    String client() {
      return peer(conn.ch);
    }

    /**
     * Runs {@code r} if the client goes away before the answer is written (at once if it has).
     * Any thread; {@code r} runs at most once.
     */
    void onClientGone(Runnable r) {
      onGone = r;
      if (gone) {
        notifyGone();
      }
    }

    /** Whether the client went away before its answer. */
    boolean clientLeft() {
      return gone;
    }

    private void clientGone() {
      if (answered.get()) {
        return;
      }
      gone = true;
      notifyGone();
    }

    private void notifyGone() {
      Runnable r = onGone;
      if (r != null && goneNotified.compareAndSet(false, true)) {
        r.run();
      }
    }

    /** Answers {@code text/plain; charset=utf-8}; any thread; only the first answer counts. */
    void respond(int status, String body, String... headerPairs) {
      respond(status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8),
          headerPairs);
    }

    /** Answers; any thread; only the first answer counts. */
    void respond(int status, String contentType, byte[] body, String... headerPairs) {
      if (!answered.compareAndSet(false, true)) {
        return;
      }
      boolean head = method.equals("HEAD");
      FullHttpResponse res = new DefaultFullHttpResponse(http10 ? HttpVersion.HTTP_1_0
          : HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
          head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
      HttpHeaders h = res.headers();
      h.set(HttpHeaderNames.CONTENT_TYPE, contentType);
      h.set(HttpHeaderNames.CONTENT_LENGTH, body.length);
      for (Map.Entry<String, String> e : extra.entrySet()) {
        h.set(e.getKey(), e.getValue());
      }
      for (int i = 0; i + 1 < headerPairs.length; i += 2) {
        h.set(headerPairs[i], headerPairs[i + 1]);
      }
      boolean keep = keepAlive && !closing;
      if (keep && http10) {
        h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      } else if (!keep && !http10) {
        h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      }
      Channel ch = conn.ch;
      ch.eventLoop().execute(() -> {
        if (!ch.isActive()) {
          res.release();
          return;
        }
        ch.writeAndFlush(res).addListener(keep ? ChannelFutureListener.CLOSE_ON_FAILURE
            : ChannelFutureListener.CLOSE);
        answered(conn, keep);
      });
    }
  }

  // ---- --web.config.file, looked at again when it or its files change ----

  /** The web configuration, re-read when a file it depends on changes. */
  private final class WebSource {
    record Loaded(WebConfig config, ServerTls tls, WebConfig.Invalid error, List<Object> stamp) {}

    private final Path file;
    final boolean tls;
    private volatile Loaded loaded;

    WebSource(Path file) {
      this.file = file;
      this.loaded = load();
      this.tls = loaded.config() != null && loaded.config().tls() != null;
    }

    Loaded current() {
      Loaded l = loaded;
      List<Object> now = stamp(l.config());
      if (Objects.equals(now, l.stamp())) {
        return l;
      }
      synchronized (this) {
        l = loaded;
        if (!Objects.equals(stamp(l.config()), l.stamp())) {
          Loaded fresh = load();
          if (fresh.error() != null) {
            log.error("Unable to parse the web configuration, answering 500 until it is fixed",
                "err", fresh.error().getMessage());
          } else {
            log.info("web configuration reloaded", "file", file);
          }
          loaded = fresh;
          l = fresh;
        }
      }
      return l;
    }

    private Loaded load() {
      List<Object> before = stamp(null);
      try {
        WebConfig c = WebConfig.read(file);
        ServerTls t = c.tls() == null ? null : ServerTls.of(c.tls(), c.source());
        if (t != null && !(tls || loaded == null)) {
          // TLS is decided at start, as in the toolkit; a later tls_server_config is not taken
          t = null;
        }
        return new Loaded(c, t, null, stamp(c));
      } catch (WebConfig.Invalid e) {
        return new Loaded(null, null, e, before);
      }
    }

    /** What changes when the file or one it names changes: modification times and sizes. */
    private List<Object> stamp(WebConfig c) {
      List<Object> s = new ArrayList<>();
      s.add(attrs(file));
      if (c != null && c.tls() != null) {
        s.add(attrs(c.tls().certFile()));
        s.add(attrs(c.tls().keyFile()));
        s.add(attrs(c.tls().clientCaFile()));
      }
      return s;
    }

    private static Object attrs(Path p) {
      if (p == null) {
        return "";
      }
      try {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
        return a.lastModifiedTime() + "/" + a.size() + "/" + a.fileKey();
      } catch (IOException e) {
        return "missing";
      }
    }
  }

  /** {@code rate_limit}: a token bucket over every request, as the toolkit's limiter. */
  private static final class Limiter {
    private final long intervalNanos;
    private final double burst;
    private double tokens;
    private long last = System.nanoTime();

    Limiter(Duration interval, int burst) {
      this.intervalNanos = Math.max(1, interval.toNanos());
      this.burst = burst;
      this.tokens = burst;
    }

    synchronized boolean allow() {
      long now = System.nanoTime();
      tokens = Math.min(burst, tokens + (double) (now - last) / intervalNanos);
      last = now;
      if (tokens >= 1) {
        tokens -= 1;
        return true;
      }
      return false;
    }
  }
}
