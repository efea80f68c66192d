package dev.tcpdial.internal;

import dev.tcpdial.Errno;
import dev.tcpdial.Outcome;
import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.Charset;
import java.util.HashMap;
import java.util.Map;

/**
 * The one place where errno numbers, JDK exceptions and outcomes meet. Both engines and both modes
 * classify through here, so an outcome is named the same whichever way it was reached.
 *
 * <p>The JDK reports a failed connect as an exception whose type is ambiguous ({@code
 * ConnectException} is ECONNREFUSED or ETIMEDOUT, {@code BindException} is EADDRNOTAVAIL, EADDRINUSE
 * or EACCES, {@code SocketException} anything else) and whose message is {@code strerror(errno)} in
 * the process locale ("Verbindungsaufbau abgelehnt" under {@code de_DE}). We recover the errno by
 * matching the message against {@code strerror} of every known errno, asked of the C library in the
 * same process (so in the same locale), and against glibc's C-locale texts.
 */
public final class Errnos {
  private Errnos() {}

  /** The outcome an errno from {@code connect(2)} or {@code SO_ERROR} stands for. */
  public static Outcome outcomeOf(int errno) {
    return switch (errno) {
      case 111 -> Outcome.REFUSED; // ECONNREFUSED: RST, or ICMP port-unreachable
      case 110 -> Outcome.TIMEOUT; // ETIMEDOUT: SYN retries exhausted (or TCP_USER_TIMEOUT)
      case 113, 112, 64 -> Outcome.HOST_UNREACHABLE; // EHOSTUNREACH, EHOSTDOWN, ENONET
      // ENETUNREACH, ENETDOWN; EAFNOSUPPORT: this machine has no such family; EINVAL on connect
      // with a valid address: a blackhole route (ip-route(8): "local senders get an EINVAL error")
      case 101, 100, 97, 22 -> Outcome.NETWORK_UNREACHABLE;
      case 13, 1 -> Outcome.PROHIBITED; // EACCES (prohibit route, ICMPv6 adm. prohibited), EPERM
      case 99, 98 -> Outcome.NO_LOCAL_ADDRESS; // EADDRNOTAVAIL, EADDRINUSE
      case 24, 23, 105, 12 -> Outcome.LOCAL_RESOURCES; // EMFILE, ENFILE, ENOBUFS, ENOMEM
      default -> Outcome.ERROR;
    };
  }

  /** The outcome for an errno. */
  public static Outcome outcomeOf(Errno errno) {
    return outcomeOf(errno.number());
  }

  /**
   * What a JDK exception thrown by a connect means: an outcome and, when the kernel gave one, an
   * errno. Never looks at anything but the exception's type and its {@code strerror} text.
   */
  public static Classified classify(Throwable t) {
    return classify(t, true);
  }

  /**
   * Like {@link #classify(Throwable)}; {@code connecting} false for failures while opening,
   * configuring or binding the socket, where EINVAL is a plain error, not a blackhole route.
   */
  public static Classified classify(Throwable t, boolean connecting) {
    if (t instanceof SocketTimeoutException) {
      return new Classified(Outcome.TIMEOUT, null); // our deadline: the kernel did not give up
    }
    if (t instanceof AsynchronousCloseException || t instanceof ClosedChannelException) {
      return new Classified(Outcome.CANCELLED, null); // closed by interrupt, cancel or close()
    }
    if (t instanceof java.nio.channels.UnresolvedAddressException
        || t instanceof java.net.UnknownHostException) {
      return new Classified(Outcome.RESOLUTION_FAILED, null);
    }
    Errno e = errnoOf(t);
    if (e != null) {
      Outcome o = outcomeOf(e);
      if (!connecting && e.number() == Errno.EINVAL.number()) {
        o = Outcome.ERROR;
      }
      return new Classified(o, e);
    }
    if (t instanceof NoRouteToHostException) {
      return new Classified(Outcome.HOST_UNREACHABLE, Errno.EHOSTUNREACH);
    }
    if (t instanceof ConnectException) {
      return new Classified(Outcome.REFUSED, Errno.ECONNREFUSED);
    }
    if (t instanceof BindException) {
      return new Classified(Outcome.NO_LOCAL_ADDRESS, null);
    }
    return new Classified(Outcome.ERROR, null);
  }

  /** An outcome and the errno behind it ({@code null} when the kernel gave none). */
  public record Classified(Outcome outcome, Errno errno) {}

  /** The errno whose {@code strerror} text the exception's message is, or {@code null}. */
  static Errno errnoOf(Throwable t) {
    if (!(t instanceof IOException) || t.getMessage() == null) {
      return null;
    }
    String msg = t.getMessage().strip();
    Errno e = Texts.INSTANCE.byText.get(msg);
    if (e != null) {
      return e;
    }
    // Some JDK paths decorate the text: "Connection refused: /198.18.1.2:81" or "connect: ...".
    Errno best = null;
    int bestLen = 0;
    for (Map.Entry<String, Errno> entry : Texts.INSTANCE.byText.entrySet()) {
      String text = entry.getKey();
      if (text.length() > bestLen
          && (msg.startsWith(text + ":") || msg.startsWith(text + " (") || msg.endsWith(": " + text))) {
        best = entry.getValue();
        bestLen = text.length();
      }
    }
    return best;
  }

  /** Every errno's text, in the C locale and in the process locale. Built once. */
  private static final class Texts {
    static final Texts INSTANCE = new Texts();
    final Map<String, Errno> byText = new HashMap<>();

    private Texts() {
      for (Errno e : Errno.known()) {
        byText.putIfAbsent(e.text(), e);
      }
      // The process locale's texts win over the C ones: the JDK built its message from them.
      Map<String, Errno> local = localTexts();
      byText.putAll(local);
    }

    private static Map<String, Errno> localTexts() {
      Map<String, Errno> texts = new HashMap<>();
      if (!Platform.nativeAccess()) {
        return texts;
      }
      try {
        Linker linker = Linker.nativeLinker();
        MethodHandle strerror = linker.downcallHandle(
            linker.defaultLookup().findOrThrow("strerror"),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        Charset cs = Platform.jnuCharset();
        for (Errno e : Errno.known()) {
          MemorySegment p = (MemorySegment) strerror.invokeExact(e.number());
          if (!p.equals(MemorySegment.NULL)) {
            String text = p.reinterpret(1024).getString(0, cs).strip();
            if (!text.isEmpty() && !text.startsWith("Unknown error")) {
              texts.put(text, e);
            }
          }
        }
      } catch (Throwable ex) {
        // No libc, or a strange one: the C-locale texts and the exception types remain.
      }
      return texts;
    }
  }


}
