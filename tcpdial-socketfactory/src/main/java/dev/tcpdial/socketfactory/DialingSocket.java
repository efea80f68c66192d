package dev.tcpdial.socketfactory;

import dev.tcpdial.DialException;
import dev.tcpdial.Target;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A socket that tcpdial connects, and that behaves as a plain {@link Socket} wherever a caller can
 * tell: the same state after each call ({@code isConnected()} stays true after {@code close()}, a
 * failed {@code connect} leaves the socket closed), the same exception types, the addresses kept
 * after close. Until {@link #connect} it records what the caller asks for (a local address,
 * options, a read timeout); {@code connect} dials, then applies those to the JDK's adaptor of the
 * dialed channel, to which the I/O is delegated from then on. The options reach the socket after
 * the handshake: buffer sizes that must be set before the SYN (window scaling) belong in the
 * dialer's {@link dev.tcpdial.SocketConfigurer}.
 *
 * <p>Where it differs on purpose: an unresolved address is dialed by its name (every address of
 * it, with the dialer's resolver) instead of failing with {@code UnknownHostException}; {@code
 * bind} records the address and the kernel binds it at connect, so until then {@code
 * getLocalPort()} is the port asked for (0 when any) and an address in use is reported by {@code
 * connect} ({@link java.net.BindException}). What a {@link Target} cannot express (port 0, a host
 * name that is not one, a link-local address without its interface) is connected as a plain
 * socket would, with the JDK's exception.
 *
 * <p>Races: {@code close()} may come from any thread at any time. Whoever learns last that the
 * other side is done closes the channel: {@code connect} closes a channel that arrives after
 * {@code close()}, and a dial that {@code connect} abandons is cancelled, its channel closed if it
 * had already connected. No path leaves a connected descriptor without an owner.
 */
final class DialingSocket extends Socket {
  // The state bits of java.net.Socket; once set, never cleared.
  private static final int BOUND = 1;
  private static final int CONNECTED = 2;
  private static final int CLOSED = 4;
  private static final int SHUT_IN = 8;
  private static final int SHUT_OUT = 16;

  private final DialingSocketFactory factory;
  private final Object lock = new Object();
  private final Map<SocketOption<?>, Object> pending = new LinkedHashMap<>(); // guarded by lock
  private int soTimeout; // guarded by lock, until connected
  private Boolean oobInline; // guarded by lock, until connected
  private InetSocketAddress bindpoint; // guarded by lock
  private volatile int state;
  private volatile Socket delegate; // set once, with CONNECTED
  private volatile InetSocketAddress remote; // set once, with CONNECTED; kept after close
  private volatile int localPort; // set once, with CONNECTED; kept after close
  private boolean connecting; // guarded by lock
  private CompletableFuture<SocketChannel> dial; // guarded by lock; while dialing
  private SocketChannel plain; // guarded by lock; while connecting as a plain socket

  DialingSocket(DialingSocketFactory factory) throws SocketException {
    super((SocketImpl) null); // every method is overridden; the impl is never used
    this.factory = factory;
  }

  @Override
  public void connect(SocketAddress endpoint) throws IOException {
    connect(endpoint, 0);
  }

  /**
   * Dials the endpoint's host name (every address it resolves to; the address literal when it
   * has no name) with {@code timeout} milliseconds as the deadline; 0 uses the factory's options.
   * If the connection cannot be established the socket is closed, as a plain socket's is.
   */
  @Override
  public void connect(SocketAddress endpoint, int timeout) throws IOException {
    if (endpoint == null) {
      throw new IllegalArgumentException("connect: The address can't be null");
    }
    if (timeout < 0) {
      throw new IllegalArgumentException("connect: timeout can't be negative");
    }
    InetSocketAddress local;
    synchronized (lock) {
      if (isClosed()) {
        throw new SocketException("Socket is closed");
      }
      if ((state & CONNECTED) != 0) {
        throw new SocketException("Already connected");
      }
      if (connecting) {
        throw new SocketException("Connection in progress");
      }
      if (!(endpoint instanceof InetSocketAddress)) {
        throw new IllegalArgumentException("Unsupported address type");
      }
      connecting = true;
      local = bindpoint;
    }
    InetSocketAddress isa = (InetSocketAddress) endpoint;
    try {
      Target target = target(isa);
      adopt(target != null ? dial(target, timeout, local) : connectPlainly(isa, timeout, local));
    } catch (IOException | RuntimeException | Error e) {
      try {
        close(); // a plain socket's connect, too, leaves the socket closed when it fails
      } catch (IOException second) {
        e.addSuppressed(second);
      }
      throw e;
    } finally {
      synchronized (lock) {
        connecting = false;
      }
    }
  }

  /**
   * What tcpdial dials for {@code isa}: its host name when it has a valid one, else its address;
   * null when neither makes a {@link Target} (port 0, an invalid name without an address, a
   * link-local address without its interface).
   */
  private static Target target(InetSocketAddress isa) {
    try {
      return new Target(isa.getHostString(), isa.getPort());
    } catch (IllegalArgumentException notAName) {
      if (isa.isUnresolved()) {
        return null;
      }
      try {
        return Target.of(isa.getAddress(), isa.getPort());
      } catch (IllegalArgumentException notATarget) {
        return null;
      }
    }
  }

  private SocketChannel dial(Target target, int timeout, InetSocketAddress local)
      throws IOException {
    CompletableFuture<SocketChannel> f =
        factory.dialAsync(target, Duration.ofMillis(timeout), local);
    boolean closedMeanwhile;
    synchronized (lock) {
      closedMeanwhile = isClosed();
      if (!closedMeanwhile) {
        dial = f;
      }
    }
    if (closedMeanwhile) {
      abandon(f);
      throw new SocketException("Socket closed");
    }
    try {
      return await(f);
    } finally {
      synchronized (lock) {
        dial = null;
      }
    }
  }

  /**
   * The dialed channel. A {@link #close()} meanwhile cancels the dial (the JDK's sockets, too,
   * end a connect in progress when closed); an interrupt cancels it and the socket is closed.
   */
  private static SocketChannel await(CompletableFuture<SocketChannel> f) throws IOException {
    try {
      return f.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof DialException d) {
        throw Failures.toJdk(d);
      }
      throw new SocketException("connect failed: " + e.getCause(), e.getCause());
    } catch (CancellationException e) {
      throw new SocketException("Socket closed");
    } catch (InterruptedException e) {
      abandon(f);
      Thread.currentThread().interrupt();
      throw new SocketException("Closed by interrupt");
    }
  }

  /**
   * Gives up on {@code f}: cancels it, and closes its channel if it connected before the cancel
   * could stop it (a cancel that loses against completion does nothing by itself).
   */
  private static void abandon(CompletableFuture<SocketChannel> f) {
    f.cancel(true);
    f.thenAccept(DialingSocket::closeQuietly);
  }

  /** A plain socket's connect, for what tcpdial cannot dial; {@link #close()} ends it. */
  private SocketChannel connectPlainly(InetSocketAddress isa, int timeout, InetSocketAddress local)
      throws IOException {
    if (isa.isUnresolved()) {
      throw new UnknownHostException(isa.getHostString());
    }
    SocketChannel ch = SocketChannel.open();
    boolean connected = false;
    try {
      synchronized (lock) {
        if (isClosed()) {
          throw new SocketException("Socket closed");
        }
        plain = ch;
      }
      if (local != null) {
        ch.bind(local);
      }
      ch.socket().connect(isa, timeout);
      connected = true;
      return ch;
    } catch (ClosedByInterruptException e) {
      throw new SocketException("Closed by interrupt");
    } catch (AsynchronousCloseException e) {
      throw new SocketException("Socket closed");
    } finally {
      synchronized (lock) {
        plain = null;
      }
      if (!connected) {
        closeQuietly(ch);
      }
    }
  }

  /** Makes {@code ch} this socket's connection, or closes it when this socket was closed. */
  private void adopt(SocketChannel ch) throws IOException {
    try {
      ch.configureBlocking(true);
      Socket s = ch.socket();
      synchronized (lock) {
        if (isClosed()) {
          throw new SocketException("Socket closed");
        }
        s.setSoTimeout(soTimeout);
        if (oobInline != null) {
          s.setOOBInline(oobInline);
        }
        for (Map.Entry<SocketOption<?>, Object> e : pending.entrySet()) {
          set(s, e.getKey(), e.getValue());
        }
        remote = (InetSocketAddress) ch.getRemoteAddress();
        localPort = s.getLocalPort();
        delegate = s;
        state |= BOUND | CONNECTED;
      }
    } catch (IOException | RuntimeException | Error e) {
      closeQuietly(ch);
      throw e;
    }
  }

  private static void closeQuietly(SocketChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // nothing left to tell anyone
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> void set(Socket s, SocketOption<T> option, Object value) throws IOException {
    s.setOption(option, (T) value);
  }

  @Override
  public void bind(SocketAddress bindpoint) throws IOException {
    synchronized (lock) {
      if (isClosed()) {
        throw new SocketException("Socket is closed");
      }
      if ((state & BOUND) != 0) {
        throw new SocketException("Already bound");
      }
      if (bindpoint != null && !(bindpoint instanceof InetSocketAddress)) {
        throw new IllegalArgumentException("Unsupported address type");
      }
      InetSocketAddress b = (InetSocketAddress) bindpoint;
      if (b != null && b.isUnresolved()) {
        throw new SocketException("Unresolved address");
      }
      this.bindpoint = b == null ? new InetSocketAddress(0) : b;
      state |= BOUND;
    }
  }

  private void ensureOpen() throws SocketException {
    if (isClosed()) {
      throw new SocketException("Socket is closed");
    }
  }

  /** The connection, checked as a plain socket checks before I/O. */
  private Socket connected() throws SocketException {
    ensureOpen();
    Socket d = delegate;
    if (d == null) {
      throw new SocketException("Socket is not connected");
    }
    return d;
  }

  private <T> void write(SocketOption<T> option, T value) throws SocketException {
    ensureOpen();
    Socket d;
    synchronized (lock) {
      d = delegate;
      if (d == null) {
        pending.put(option, value); // applied by connect, under the same lock
        return;
      }
    }
    try {
      d.setOption(option, value);
    } catch (SocketException e) {
      throw e;
    } catch (IOException e) {
      throw new SocketException(e.getMessage(), e);
    }
  }

  @SuppressWarnings("unchecked")
  private <T> T read(SocketOption<T> option) throws SocketException {
    ensureOpen();
    Socket d;
    synchronized (lock) {
      d = delegate;
      if (d == null) {
        Object v = pending.get(option);
        return v != null ? (T) v : Defaults.of(option);
      }
    }
    try {
      return d.getOption(option);
    } catch (SocketException e) {
      throw e;
    } catch (IOException e) {
      throw new SocketException(e.getMessage(), e);
    }
  }

  /** What a fresh TCP socket of this system answers for an option nobody set. */
  private static final class Defaults {
    private static final List<SocketOption<?>> OPTIONS = List.of(StandardSocketOptions.TCP_NODELAY,
        StandardSocketOptions.SO_KEEPALIVE, StandardSocketOptions.SO_LINGER,
        StandardSocketOptions.SO_SNDBUF, StandardSocketOptions.SO_RCVBUF,
        StandardSocketOptions.SO_REUSEADDR, StandardSocketOptions.IP_TOS);
    private static final Map<SocketOption<?>, Object> VALUES = read();

    private static Map<SocketOption<?>, Object> read() {
      Map<SocketOption<?>, Object> values = new HashMap<>();
      try (SocketChannel ch = SocketChannel.open()) {
        for (SocketOption<?> o : OPTIONS) {
          values.put(o, ch.getOption(o));
        }
      } catch (IOException | RuntimeException e) {
        // no socket to ask: the values below
      }
      values.putIfAbsent(StandardSocketOptions.TCP_NODELAY, false);
      values.putIfAbsent(StandardSocketOptions.SO_KEEPALIVE, false);
      values.putIfAbsent(StandardSocketOptions.SO_LINGER, -1);
      values.putIfAbsent(StandardSocketOptions.SO_REUSEADDR, false);
      values.putIfAbsent(StandardSocketOptions.IP_TOS, 0);
      return Map.copyOf(values);
    }

    @SuppressWarnings("unchecked")
    static <T> T of(SocketOption<T> option) {
      return (T) VALUES.get(option);
    }
  }

  @Override
  public <T> Socket setOption(SocketOption<T> name, T value) throws IOException {
    Objects.requireNonNull(name);
    write(name, value);
    return this;
  }

  @Override
  public <T> T getOption(SocketOption<T> name) throws IOException {
    Objects.requireNonNull(name);
    return read(name);
  }

  @Override
  public Set<SocketOption<?>> supportedOptions() {
    Socket d = delegate;
    return d != null ? d.supportedOptions() : Set.copyOf(Defaults.OPTIONS);
  }

  @Override
  public void setTcpNoDelay(boolean on) throws SocketException {
    write(StandardSocketOptions.TCP_NODELAY, on);
  }

  @Override
  public boolean getTcpNoDelay() throws SocketException {
    return read(StandardSocketOptions.TCP_NODELAY);
  }

  @Override
  public void setSoLinger(boolean on, int linger) throws SocketException {
    ensureOpen();
    if (on && linger < 0) {
      throw new IllegalArgumentException("invalid value for SO_LINGER");
    }
    write(StandardSocketOptions.SO_LINGER, on ? Math.min(linger, 65535) : -1);
  }

  @Override
  public int getSoLinger() throws SocketException {
    Integer v = read(StandardSocketOptions.SO_LINGER);
    return v == null ? -1 : v;
  }

  @Override
  public void sendUrgentData(int data) throws IOException {
    connected().sendUrgentData(data);
  }

  @Override
  public void setOOBInline(boolean on) throws SocketException {
    ensureOpen();
    Socket d;
    synchronized (lock) {
      d = delegate;
      if (d == null) {
        oobInline = on;
        return;
      }
    }
    d.setOOBInline(on);
  }

  @Override
  public boolean getOOBInline() throws SocketException {
    ensureOpen();
    Socket d;
    synchronized (lock) {
      d = delegate;
      if (d == null) {
        return oobInline != null && oobInline;
      }
    }
    return d.getOOBInline();
  }

  @Override
  public void setSoTimeout(int timeout) throws SocketException {
    ensureOpen();
    if (timeout < 0) {
      throw new IllegalArgumentException("timeout can't be negative");
    }
    Socket d;
    synchronized (lock) {
      d = delegate;
      if (d == null) {
        soTimeout = timeout;
        return;
      }
    }
    d.setSoTimeout(timeout);
  }

  @Override
  public int getSoTimeout() throws SocketException {
    ensureOpen();
    Socket d;
    synchronized (lock) {
      d = delegate;
      if (d == null) {
        return soTimeout;
      }
    }
    return d.getSoTimeout();
  }

  @Override
  public void setSendBufferSize(int size) throws SocketException {
    if (size <= 0) {
      throw new IllegalArgumentException("negative send size");
    }
    write(StandardSocketOptions.SO_SNDBUF, size);
  }

  @Override
  public int getSendBufferSize() throws SocketException {
    Integer v = read(StandardSocketOptions.SO_SNDBUF);
    return v == null ? 0 : v;
  }

  @Override
  public void setReceiveBufferSize(int size) throws SocketException {
    if (size <= 0) {
      throw new IllegalArgumentException("invalid receive size");
    }
    write(StandardSocketOptions.SO_RCVBUF, size);
  }

  @Override
  public int getReceiveBufferSize() throws SocketException {
    Integer v = read(StandardSocketOptions.SO_RCVBUF);
    return v == null ? 0 : v;
  }

  @Override
  public void setKeepAlive(boolean on) throws SocketException {
    write(StandardSocketOptions.SO_KEEPALIVE, on);
  }

  @Override
  public boolean getKeepAlive() throws SocketException {
    return read(StandardSocketOptions.SO_KEEPALIVE);
  }

  @Override
  public void setTrafficClass(int tc) throws SocketException {
    if (tc < 0 || tc > 255) {
      throw new IllegalArgumentException("tc is not in range 0 -- 255");
    }
    write(StandardSocketOptions.IP_TOS, tc);
  }

  @Override
  public int getTrafficClass() throws SocketException {
    return read(StandardSocketOptions.IP_TOS);
  }

  @Override
  public void setReuseAddress(boolean on) throws SocketException {
    write(StandardSocketOptions.SO_REUSEADDR, on);
  }

  @Override
  public boolean getReuseAddress() throws SocketException {
    return read(StandardSocketOptions.SO_REUSEADDR);
  }

  @Override
  public void setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
    // as the JDK's own sockets: not implemented
  }

  @Override
  public InputStream getInputStream() throws IOException {
    Socket d = connected();
    if ((state & SHUT_IN) != 0) {
      throw new SocketException("Socket input is shutdown");
    }
    return d.getInputStream();
  }

  @Override
  public OutputStream getOutputStream() throws IOException {
    Socket d = connected();
    if ((state & SHUT_OUT) != 0) {
      throw new SocketException("Socket output is shutdown");
    }
    return d.getOutputStream();
  }

  @Override
  public void shutdownInput() throws IOException {
    Socket d = connected();
    synchronized (lock) {
      if ((state & SHUT_IN) != 0) {
        throw new SocketException("Socket input is already shutdown");
      }
      d.shutdownInput();
      state |= SHUT_IN;
    }
  }

  @Override
  public void shutdownOutput() throws IOException {
    Socket d = connected();
    synchronized (lock) {
      if ((state & SHUT_OUT) != 0) {
        throw new SocketException("Socket output is already shutdown");
      }
      d.shutdownOutput();
      state |= SHUT_OUT;
    }
  }

  /**
   * Closes the connection; during {@code connect}, ends the dial (its sockets are closed and
   * {@code connect} throws); before, makes a later {@code connect} fail. Idempotent.
   */
  @Override
  public void close() throws IOException {
    Socket d;
    CompletableFuture<SocketChannel> f;
    SocketChannel p;
    synchronized (lock) {
      if ((state & CLOSED) != 0) {
        return;
      }
      state |= CLOSED;
      d = delegate;
      f = dial;
      p = plain;
    }
    // The connecting thread owns what the dial yields: it finds CLOSED and closes it.
    if (f != null) {
      f.cancel(true);
    }
    if (p != null) {
      p.close();
    }
    if (d != null) {
      d.close();
    }
  }

  @Override
  public SocketChannel getChannel() {
    return null; // as for any socket a SocketFactory makes; the channel stays tcpdial's
  }

  @Override
  public InetAddress getInetAddress() {
    InetSocketAddress r = remote;
    return r != null ? r.getAddress() : null;
  }

  @Override
  public int getPort() {
    InetSocketAddress r = remote;
    return r != null ? r.getPort() : 0;
  }

  /** The wildcard address, as {@code new Socket().getLocalAddress()} gives it. */
  private static InetAddress wildcard() {
    return new InetSocketAddress(0).getAddress();
  }

  @Override
  public InetAddress getLocalAddress() {
    int s = state;
    if ((s & BOUND) == 0 || isClosed()) {
      return wildcard();
    }
    Socket d = delegate;
    if (d != null) {
      return d.getLocalAddress();
    }
    InetAddress b;
    synchronized (lock) {
      b = bindpoint.getAddress();
    }
    return b == null || b.isAnyLocalAddress() ? wildcard() : b;
  }

  @Override
  public int getLocalPort() {
    if ((state & BOUND) == 0) {
      return -1;
    }
    if ((state & CONNECTED) != 0) {
      return localPort;
    }
    synchronized (lock) {
      return bindpoint.getPort();
    }
  }

  @Override
  public SocketAddress getRemoteSocketAddress() {
    InetSocketAddress r = remote;
    return r != null ? new InetSocketAddress(r.getAddress(), r.getPort()) : null;
  }

  @Override
  public SocketAddress getLocalSocketAddress() {
    if ((state & BOUND) == 0) {
      return null;
    }
    return new InetSocketAddress(getLocalAddress(), getLocalPort());
  }

  @Override
  public boolean isConnected() {
    return (state & CONNECTED) != 0;
  }

  @Override
  public boolean isBound() {
    return (state & BOUND) != 0;
  }

  /** True after {@link #close()}, and once the connection was closed through one of its streams. */
  @Override
  public boolean isClosed() {
    Socket d = delegate;
    return (state & CLOSED) != 0 || (d != null && d.isClosed());
  }

  @Override
  public boolean isInputShutdown() {
    return (state & SHUT_IN) != 0;
  }

  @Override
  public boolean isOutputShutdown() {
    return (state & SHUT_OUT) != 0;
  }

  /** {@code DialingSocket[addr=198.18.0.1,port=80,localport=41234]}, or {@code [unconnected]}. */
  @Override
  public String toString() {
    InetSocketAddress r = remote;
    if (r == null) {
      return "DialingSocket[" + (isClosed() ? "closed" : "unconnected") + "]";
    }
    String addr = Target.of(r.getAddress(), r.getPort()).host();
    return "DialingSocket[addr=" + addr + ",port=" + r.getPort() + ",localport=" + localPort
        + (isClosed() ? ",closed" : "") + "]";
  }
}
