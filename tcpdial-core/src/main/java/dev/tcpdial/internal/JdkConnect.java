package dev.tcpdial.internal;

import dev.tcpdial.Errno;
import dev.tcpdial.IcmpReport;
import dev.tcpdial.Outcome;
import dev.tcpdial.SocketConfigurer;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.SocketChannel;

/** One attempt with the JDK's {@link SocketChannel}: open, configure, bind, connect. */
final class JdkConnect {
  private JdkConnect() {}

  /**
   * How one attempt ended; {@code channel} is set, open and connected only for CONNECTED; {@code
   * icmp}: who answered a failed connect, or null.
   */
  record End(Outcome outcome, Errno errno, SocketChannel channel, InetSocketAddress local,
      Throwable cause, IcmpReport icmp) {

    End(Outcome outcome, Errno errno, SocketChannel channel, InetSocketAddress local,
        Throwable cause) {
      this(outcome, errno, channel, local, cause, null);
    }

    static End failed(Throwable t, boolean connecting) {
      Errnos.Classified c = Errnos.classify(t, connecting);
      return new End(c.outcome(), c.errno(), null, null, t);
    }
  }

  /** Per-socket settings shared by every attempt of a dialer. */
  record SocketSetup(SocketConfigurer configurer, InetSocketAddress local, KernelKnobs knobs) {}

  /**
   * A fresh socket of {@code remote}'s family, configured and bound; closed again if any step
   * fails. IPv4 targets get an AF_INET socket, not a dual-stack one, so the kernel's answer is
   * exactly that of IPv4.
   */
  static SocketChannel open(InetSocketAddress remote, SocketSetup setup, boolean blocking)
      throws IOException {
    SocketChannel ch = SocketChannel.open(remote.getAddress() instanceof Inet6Address
        ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
    try {
      if (!blocking) {
        ch.configureBlocking(false);
      }
      setup.configurer().configure(ch);
      setup.knobs().apply(ch, setup.local() != null);
      if (setup.local() != null) {
        ch.bind(setup.local());
      }
      return ch;
    } catch (IOException | RuntimeException | Error e) {
      closeQuietly(ch);
      throw e;
    }
  }

  /**
   * A blocking attempt on the calling thread, ending by {@code deadlineNanos} (MAX_VALUE: the
   * kernel's own limit). An interrupt, or another thread closing the channel handed to {@code
   * opened}, ends it {@code cancelled}.
   */
  static End blocking(InetSocketAddress remote, SocketSetup setup, long deadlineNanos, Clock clock,
      java.util.function.Consumer<SocketChannel> opened) {
    End end = blockingOnce(remote, setup, deadlineNanos, clock, opened);
    for (int tries = 0; end.channel() != null && selfConnected(end.channel()); tries++) {
      closeWithReset(end.channel());
      if (tries == 2 || fixedSourcePort(setup)) { // only ourselves: nothing listens there
        return new End(Outcome.REFUSED, null, null, end.local(), selfConnect());
      }
      end = blockingOnce(remote, setup, deadlineNanos, clock, opened); // from another port
    }
    return end;
  }

  /**
   * True when {@code setup} binds its sockets to a port of its own: a connection to itself from
   * there would meet itself again from the same port, so it is not tried again.
   */
  static boolean fixedSourcePort(SocketSetup setup) {
    return setup.local() != null && setup.local().getPort() != 0;
  }

  /** Why an attempt that only ever reached itself ends refused. */
  static IOException selfConnect() {
    return new IOException("connected only to itself (simultaneous open from the port it dialed):"
        + " nothing listens there");
  }

  /**
   * True when {@code ch} is connected to itself: a connect to a local port in the ephemeral range
   * with nothing listening can be given that very port as its source and complete by simultaneous
   * open (RFC 793). Like Go's net package, the dial then tries again from another port, twice at
   * most; then the attempt ends {@code refused}. Both addresses are cached by the channel: no
   * system call.
   */
  static boolean selfConnected(SocketChannel ch) {
    try {
      java.net.SocketAddress local = ch.getLocalAddress();
      return local != null && local.equals(ch.getRemoteAddress());
    } catch (IOException e) {
      return false;
    }
  }

  private static End blockingOnce(InetSocketAddress remote, SocketSetup setup, long deadlineNanos,
      Clock clock, java.util.function.Consumer<SocketChannel> opened) {
    SocketChannel ch;
    try {
      ch = open(remote, setup, true);
    } catch (IOException | RuntimeException e) {
      return End.failed(e, false);
    }
    JdkErrQueue queue = JdkErrQueue.attach(ch, remote);
    opened.accept(ch); // from here on another thread may close it to stop the attempt
    try {
      long timeoutMs = 0;
      if (deadlineNanos != Long.MAX_VALUE) {
        long left = deadlineNanos - clock.nanoTime();
        if (left <= 0) {
          queue.close();
          closeQuietly(ch);
          return new End(Outcome.TIMEOUT, null, null, null, null);
        }
        timeoutMs = Math.max(1, Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000));
      }
      ch.socket().connect(remote, (int) timeoutMs);
      queue.close();
      return new End(Outcome.CONNECTED, null, ch, localOf(ch), null);
    } catch (IOException | RuntimeException e) {
      InetSocketAddress local = localOf(ch);
      closeQuietly(ch);
      End f = End.failed(e, true);
      return new End(f.outcome(), f.errno(), null, local, e, queue.failed(f.errno()));
    }
  }

  static InetSocketAddress localOf(SocketChannel ch) {
    try {
      return (InetSocketAddress) ch.getLocalAddress();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Closes a probe's connection with a reset (SO_LINGER 0), as the native engine does: a probe
   * leaves no TIME_WAIT behind on this side, so scans do not run out of ports.
   */
  static void closeWithReset(SocketChannel ch) {
    try {
      ch.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
    } catch (IOException | RuntimeException ignored) {
      // closed already, or the option is refused: a plain close is all that is left
    }
    closeQuietly(ch);
  }

  static void closeQuietly(SocketChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // closing a socket that failed to connect: nothing to report
      }
    }
  }
}
