package dev.tcpdial;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * An error number as the Linux kernel reports it: its symbolic name ({@code ECONNREFUSED}) and its
 * number (111). Names never depend on the process locale.
 *
 * @param name the symbolic name, such as {@code EHOSTUNREACH}; {@code E<number>} for a number this
 *     table does not know
 * @param number the Linux errno value, positive
 */
public record Errno(String name, int number) {

  private static final Map<Integer, Errno> BY_NUMBER = new HashMap<>();
  private static final Map<String, Errno> BY_NAME = new HashMap<>();
  private static final Map<Integer, String> TEXT = new HashMap<>();
  /** The table by number, for the numbers below 256 (every Linux errno): no boxing per lookup. */
  private static final Errno[] SMALL = new Errno[256];

  /** Operation not permitted (1): a local firewall rule dropped the SYN. */
  public static final Errno EPERM = define("EPERM", 1, "Operation not permitted");
  /** Interrupted system call (4). */
  public static final Errno EINTR = define("EINTR", 4, "Interrupted system call");
  /** Bad file descriptor (9). */
  public static final Errno EBADF = define("EBADF", 9, "Bad file descriptor");
  /** Resource temporarily unavailable (11). */
  public static final Errno EAGAIN = define("EAGAIN", 11, "Resource temporarily unavailable");
  /** Cannot allocate memory (12). */
  public static final Errno ENOMEM = define("ENOMEM", 12, "Cannot allocate memory");
  /** Permission denied (13): a {@code prohibit} route, or ICMPv6 administratively prohibited. */
  public static final Errno EACCES = define("EACCES", 13, "Permission denied");
  /** Invalid argument (22): on connect, usually a {@code blackhole} route. */
  public static final Errno EINVAL = define("EINVAL", 22, "Invalid argument");
  /** Too many open files in system (23). */
  public static final Errno ENFILE = define("ENFILE", 23, "Too many open files in system");
  /** Too many open files (24): the process's descriptor limit. */
  public static final Errno EMFILE = define("EMFILE", 24, "Too many open files");
  /** Broken pipe (32). */
  public static final Errno EPIPE = define("EPIPE", 32, "Broken pipe");
  /**
   * Function not implemented (38): a kernel without the call, or a seccomp filter that hides it
   * (io_uring in some sandboxes).
   */
  public static final Errno ENOSYS = define("ENOSYS", 38, "Function not implemented");
  /** Machine is not on the network (64): ICMP host isolated. */
  public static final Errno ENONET = define("ENONET", 64, "Machine is not on the network");
  /** Protocol error (71): ICMP parameter problem. */
  public static final Errno EPROTO = define("EPROTO", 71, "Protocol error");
  /** Message too long (90). */
  public static final Errno EMSGSIZE = define("EMSGSIZE", 90, "Message too long");
  /** Protocol not available (92): ICMP protocol unreachable. */
  public static final Errno ENOPROTOOPT = define("ENOPROTOOPT", 92, "Protocol not available");
  /** Operation not supported (95): ICMP source route failed. */
  public static final Errno EOPNOTSUPP = define("EOPNOTSUPP", 95, "Operation not supported");
  /** Address family not supported by protocol (97): no IPv6 (or IPv4) on this machine. */
  public static final Errno EAFNOSUPPORT =
      define("EAFNOSUPPORT", 97, "Address family not supported by protocol");
  /** Address already in use (98). */
  public static final Errno EADDRINUSE = define("EADDRINUSE", 98, "Address already in use");
  /** Cannot assign requested address (99): no free local port, or the source is not local. */
  public static final Errno EADDRNOTAVAIL =
      define("EADDRNOTAVAIL", 99, "Cannot assign requested address");
  /** Network is down (100). */
  public static final Errno ENETDOWN = define("ENETDOWN", 100, "Network is down");
  /** Network is unreachable (101): no route, or ICMP net-unreachable. */
  public static final Errno ENETUNREACH = define("ENETUNREACH", 101, "Network is unreachable");
  /** Network dropped connection on reset (102). */
  public static final Errno ENETRESET = define("ENETRESET", 102, "Network dropped connection on reset");
  /** Software caused connection abort (103). */
  public static final Errno ECONNABORTED =
      define("ECONNABORTED", 103, "Software caused connection abort");
  /** Connection reset by peer (104). */
  public static final Errno ECONNRESET = define("ECONNRESET", 104, "Connection reset by peer");
  /** No buffer space available (105). */
  public static final Errno ENOBUFS = define("ENOBUFS", 105, "No buffer space available");
  /** Transport endpoint is already connected (106). */
  public static final Errno EISCONN = define("EISCONN", 106, "Transport endpoint is already connected");
  /** Transport endpoint is not connected (107). */
  public static final Errno ENOTCONN = define("ENOTCONN", 107, "Transport endpoint is not connected");
  /** Connection timed out (110): the kernel gave up retrying the SYN. */
  public static final Errno ETIMEDOUT = define("ETIMEDOUT", 110, "Connection timed out");
  /** Connection refused (111): the host answered with a reset. */
  public static final Errno ECONNREFUSED = define("ECONNREFUSED", 111, "Connection refused");
  /** Host is down (112): ICMP host unknown. */
  public static final Errno EHOSTDOWN = define("EHOSTDOWN", 112, "Host is down");
  /** No route to host (113): no ARP answer, ICMP host-unreachable, an {@code unreachable} route. */
  public static final Errno EHOSTUNREACH = define("EHOSTUNREACH", 113, "No route to host");
  /** Operation already in progress (114). */
  public static final Errno EALREADY = define("EALREADY", 114, "Operation already in progress");
  /** Operation now in progress (115): a non-blocking connect has started. */
  public static final Errno EINPROGRESS = define("EINPROGRESS", 115, "Operation now in progress");

  /** Checks the components; use {@link #of(int)} or the constants instead. */
  public Errno {
    Objects.requireNonNull(name, "name");
    if (number <= 0) {
      throw new IllegalArgumentException("errno must be positive: " + number);
    }
  }

  private static Errno define(String name, int number, String text) {
    Errno e = new Errno(name, number);
    BY_NUMBER.put(number, e);
    if (number < SMALL.length) {
      SMALL[number] = e;
    }
    BY_NAME.put(name, e);
    TEXT.put(number, text);
    return e;
  }

  /**
   * The errno with this Linux number; one this table does not know is named {@code E<number>}.
   *
   * @param number the Linux errno number
   * @return the errno
   */
  public static Errno of(int number) {
    Errno known = number > 0 && number < SMALL.length ? SMALL[number] : BY_NUMBER.get(number);
    return known != null ? known : new Errno("E" + number, number);
  }

  /**
   * The errno with this symbolic name ({@code "econnrefused"} works too).
   *
   * @param name the symbolic name, e.g. {@code ECONNREFUSED}
   * @return the errno
   * @throws IllegalArgumentException when the name is not in the table
   */
  public static Errno named(String name) {
    Errno known = BY_NAME.get(name.trim().toUpperCase(Locale.ROOT));
    if (known == null) {
      throw new IllegalArgumentException("unknown errno name '" + name + "'");
    }
    return known;
  }

  /**
   * The C-locale text glibc gives this errno ({@code "Connection refused"}), or {@code ""}.
   *
   * @return the text, or {@code ""}
   */
  public String text() {
    return TEXT.getOrDefault(number, "");
  }

  /**
   * Every errno this table knows, by number.
   *
   * @return the known errnos, ordered by number
   */
  public static java.util.Collection<Errno> known() {
    return java.util.List.copyOf(new java.util.TreeMap<>(BY_NUMBER).values());
  }

  /** {@code ECONNREFUSED(111)}. */
  @Override
  public String toString() {
    return name + "(" + number + ")";
  }
}
