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
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A socket that tcpdial connects. Until {@link #connect} it only records what the caller asks for
 * (a local address, options, a read timeout); {@code connect} dials, then applies those to the
 * JDK's adaptor of the dialed channel, to which every call is delegated from then on. The
 * options reach the socket after the handshake: buffer sizes that must be set before the SYN
 * (window scaling) belong in the dialer's {@link dev.tcpdial.SocketConfigurer}.
 */
final class DialingSocket extends Socket {
  private final DialingSocketFactory factory;
  private final Object lock = new Object();
  private final Map<SocketOption<?>, Object> pending = new LinkedHashMap<>();
  private InetSocketAddress bindpoint;
  private int soTimeout;
  private volatile Socket delegate;
  private boolean closed;
  private boolean connecting;
  private CompletableFuture<SocketChannel> dial; // while connecting

  DialingSocket(DialingSocketFactory factory) throws SocketException {
    super((SocketImpl) null); // every method is delegated; the impl is never used
    this.factory = factory;
  }

  private Socket connected() throws SocketException {
    Socket d = delegate;
    if (d == null) {
      throw new SocketException(closed ? "Socket is closed" : "Socket is not connected");
    }
    return d;
  }

  @Override
  public void connect(SocketAddress endpoint) throws IOException {
    connect(endpoint, 0);
  }

  /**
   * Dials the endpoint's host name (every address it resolves to; the address literal when it
   * has no name) with {@code timeout} milliseconds as the deadline; 0 uses the factory's options.
   */
  @Override
  public void connect(SocketAddress endpoint, int timeout) throws IOException {
    if (!(endpoint instanceof InetSocketAddress isa)) {
      throw new IllegalArgumentException("unsupported address type: " + endpoint);
    }
    if (timeout < 0) {
      throw new IllegalArgumentException("connect: timeout can't be negative");
    }
    InetSocketAddress local;
    synchronized (lock) {
      if (closed) {
        throw new SocketException("Socket is closed");
      }
      if (delegate != null || connecting) {
        throw new SocketException("already connected");
      }
      connecting = true;
      local = bindpoint;
    }
    CompletableFuture<SocketChannel> f = factory.dialAsync(
        new Target(isa.getHostString(), isa.getPort()), Duration.ofMillis(timeout), local);
    SocketChannel ch = null;
    try {
      synchronized (lock) {
        if (closed) {
          f.cancel(true);
          throw new SocketException("Socket is closed");
        }
        dial = f;
      }
      ch = await(f);
      ch.configureBlocking(true);
      Socket s = ch.socket();
      synchronized (lock) {
        if (closed) {
          throw new SocketException("Socket is closed");
        }
        s.setSoTimeout(soTimeout);
        for (Map.Entry<SocketOption<?>, Object> e : pending.entrySet()) {
          set(s, e.getKey(), e.getValue());
        }
        delegate = s;
        ch = null;
      }
    } finally {
      if (ch != null) {
        ch.close();
      }
      synchronized (lock) {
        connecting = false;
        dial = null;
      }
    }
  }

  /**
   * The dialed channel. A {@link #close()} meanwhile cancels the dial (the JDK's sockets, too,
   * end a connect in progress when closed); an interrupt cancels it and closes this socket.
   */
  private SocketChannel await(CompletableFuture<SocketChannel> f) throws IOException {
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
      f.cancel(true);
      Thread.currentThread().interrupt();
      close();
      throw new SocketException("Closed by interrupt");
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> void set(Socket s, SocketOption<T> option, Object value) throws IOException {
    s.setOption(option, (T) value);
  }

  @Override
  public void bind(SocketAddress bindpoint) throws IOException {
    if (bindpoint != null && !(bindpoint instanceof InetSocketAddress)) {
      throw new IllegalArgumentException("unsupported address type: " + bindpoint);
    }
    synchronized (lock) {
      if (closed) {
        throw new SocketException("Socket is closed");
      }
      if (delegate != null || this.bindpoint != null) {
        throw new SocketException("Already bound");
      }
      this.bindpoint = bindpoint == null ? new InetSocketAddress(0) : (InetSocketAddress) bindpoint;
    }
  }

  private <T> void write(SocketOption<T> option, T value) throws SocketException {
    Socket d = delegate;
    if (d != null) {
      try {
        d.setOption(option, value);
      } catch (SocketException e) {
        throw e;
      } catch (IOException e) {
        throw new SocketException(e.getMessage());
      }
      return;
    }
    synchronized (lock) {
      if (closed) {
        throw new SocketException("Socket is closed");
      }
      pending.put(option, value);
    }
  }

  @SuppressWarnings("unchecked")
  private <T> T read(SocketOption<T> option, T unset) throws SocketException {
    Socket d = delegate;
    if (d != null) {
      try {
        return d.getOption(option);
      } catch (SocketException e) {
        throw e;
      } catch (IOException e) {
        throw new SocketException(e.getMessage());
      }
    }
    synchronized (lock) {
      if (closed) {
        throw new SocketException("Socket is closed");
      }
      return (T) pending.getOrDefault(option, unset);
    }
  }

  @Override
  public <T> Socket setOption(SocketOption<T> name, T value) throws IOException {
    write(name, value);
    return this;
  }

  @Override
  public <T> T getOption(SocketOption<T> name) throws IOException {
    return read(name, null);
  }

  @Override
  public Set<SocketOption<?>> supportedOptions() {
    Socket d = delegate;
    return d != null ? d.supportedOptions() : Set.of(StandardSocketOptions.TCP_NODELAY,
        StandardSocketOptions.SO_KEEPALIVE, StandardSocketOptions.SO_LINGER,
        StandardSocketOptions.SO_SNDBUF, StandardSocketOptions.SO_RCVBUF,
        StandardSocketOptions.SO_REUSEADDR, StandardSocketOptions.IP_TOS);
  }

  @Override
  public void setTcpNoDelay(boolean on) throws SocketException {
    write(StandardSocketOptions.TCP_NODELAY, on);
  }

  @Override
  public boolean getTcpNoDelay() throws SocketException {
    return read(StandardSocketOptions.TCP_NODELAY, false);
  }

  @Override
  public void setSoLinger(boolean on, int linger) throws SocketException {
    if (on && linger < 0) {
      throw new IllegalArgumentException("invalid value for SO_LINGER");
    }
    write(StandardSocketOptions.SO_LINGER, on ? Math.min(linger, 65535) : -1);
  }

  @Override
  public int getSoLinger() throws SocketException {
    return read(StandardSocketOptions.SO_LINGER, -1);
  }

  @Override
  public void sendUrgentData(int data) throws IOException {
    connected().sendUrgentData(data);
  }

  @Override
  public void setOOBInline(boolean on) throws SocketException {
    Socket d = delegate;
    if (d == null) {
      throw new SocketException("OOB inline can be set once connected");
    }
    d.setOOBInline(on);
  }

  @Override
  public boolean getOOBInline() throws SocketException {
    Socket d = delegate;
    return d != null && d.getOOBInline();
  }

  @Override
  public void setSoTimeout(int timeout) throws SocketException {
    if (timeout < 0) {
      throw new IllegalArgumentException("timeout can't be negative");
    }
    Socket d = delegate;
    if (d != null) {
      d.setSoTimeout(timeout);
      return;
    }
    synchronized (lock) {
      soTimeout = timeout;
    }
  }

  @Override
  public int getSoTimeout() throws SocketException {
    Socket d = delegate;
    if (d != null) {
      return d.getSoTimeout();
    }
    synchronized (lock) {
      return soTimeout;
    }
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
    return read(StandardSocketOptions.SO_SNDBUF, 0);
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
    return read(StandardSocketOptions.SO_RCVBUF, 0);
  }

  @Override
  public void setKeepAlive(boolean on) throws SocketException {
    write(StandardSocketOptions.SO_KEEPALIVE, on);
  }

  @Override
  public boolean getKeepAlive() throws SocketException {
    return read(StandardSocketOptions.SO_KEEPALIVE, false);
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
    return read(StandardSocketOptions.IP_TOS, 0);
  }

  @Override
  public void setReuseAddress(boolean on) throws SocketException {
    write(StandardSocketOptions.SO_REUSEADDR, on);
  }

  @Override
  public boolean getReuseAddress() throws SocketException {
    return read(StandardSocketOptions.SO_REUSEADDR, false);
  }

  @Override
  public void setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
    // as the JDK's own sockets: not implemented
  }

  @Override
  public InputStream getInputStream() throws IOException {
    return connected().getInputStream();
  }

  @Override
  public OutputStream getOutputStream() throws IOException {
    return connected().getOutputStream();
  }

  @Override
  public void shutdownInput() throws IOException {
    connected().shutdownInput();
  }

  @Override
  public void shutdownOutput() throws IOException {
    connected().shutdownOutput();
  }

  /**
   * Closes the dialed channel; during {@code connect}, cancels the dial (its sockets are closed
   * and {@code connect} throws); before, makes a later {@code connect} fail.
   */
  @Override
  public void close() throws IOException {
    Socket d;
    CompletableFuture<SocketChannel> f;
    synchronized (lock) {
      closed = true;
      d = delegate;
      f = dial;
    }
    if (f != null) {
      f.cancel(true);
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
    Socket d = delegate;
    return d != null ? d.getInetAddress() : null;
  }

  @Override
  public InetAddress getLocalAddress() {
    Socket d = delegate;
    if (d != null) {
      return d.getLocalAddress();
    }
    InetSocketAddress b = bindpoint;
    return b != null ? b.getAddress() : new InetSocketAddress(0).getAddress();
  }

  @Override
  public int getPort() {
    Socket d = delegate;
    return d != null ? d.getPort() : 0;
  }

  @Override
  public int getLocalPort() {
    Socket d = delegate;
    if (d != null) {
      return d.getLocalPort();
    }
    InetSocketAddress b = bindpoint;
    return b != null ? b.getPort() : -1;
  }

  @Override
  public SocketAddress getRemoteSocketAddress() {
    Socket d = delegate;
    return d != null ? d.getRemoteSocketAddress() : null;
  }

  @Override
  public SocketAddress getLocalSocketAddress() {
    Socket d = delegate;
    return d != null ? d.getLocalSocketAddress() : bindpoint;
  }

  @Override
  public boolean isConnected() {
    Socket d = delegate;
    return d != null && d.isConnected();
  }

  @Override
  public boolean isBound() {
    Socket d = delegate;
    return d != null ? d.isBound() : bindpoint != null;
  }

  @Override
  public boolean isClosed() {
    synchronized (lock) {
      return closed || (delegate != null && delegate.isClosed());
    }
  }

  @Override
  public boolean isInputShutdown() {
    Socket d = delegate;
    return d != null && d.isInputShutdown();
  }

  @Override
  public boolean isOutputShutdown() {
    Socket d = delegate;
    return d != null && d.isOutputShutdown();
  }

  @Override
  public String toString() {
    Socket d = delegate;
    return "DialingSocket[" + (d != null ? d.toString() : closed ? "closed" : "unconnected") + "]";
  }
}
