package dev.tcpdial.cli.targets;

import dev.tcpdial.Target;
import dev.tcpdial.cli.process.UsageException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Targets as people paste them, made into {@code host:port}: tcping's {@code HOST PORT}, URLs
 * ({@code https://host/}, {@code postgres://user@host:5432/db}, {@code jdbc:postgresql://...})
 * with the scheme's port when they name none, and comma lists of whole {@code host:port}
 * targets. Only what reads one way is taken; what could mean two things ({@code host:80,443}: a
 * second host or a second port?) gets a one-line "did you mean" instead of a guess. A URL's user
 * and password are dropped and never quoted back.
 */
public final class Pasted {
  private Pasted() {}

  /**
   * The ports of URL schemes that name none: IANA's assignments, and the schemes client
   * libraries use for them ({@code postgres}, {@code rediss}, {@code mongodb}). Other schemes
   * are looked up as service names ({@code /etc/services}).
   */
  private static final Map<String, Integer> SCHEMES = Map.ofEntries(
      Map.entry("http", 80), Map.entry("https", 443), Map.entry("ws", 80), Map.entry("wss", 443),
      Map.entry("ftp", 21), Map.entry("ftps", 990), Map.entry("sftp", 22), Map.entry("ssh", 22),
      Map.entry("git", 9418), Map.entry("telnet", 23), Map.entry("smtp", 25),
      Map.entry("smtps", 465), Map.entry("submission", 587), Map.entry("imap", 143),
      Map.entry("imaps", 993), Map.entry("pop3", 110), Map.entry("pop3s", 995),
      Map.entry("ldap", 389), Map.entry("ldaps", 636), Map.entry("postgres", 5432),
      Map.entry("postgresql", 5432), Map.entry("mysql", 3306), Map.entry("mariadb", 3306),
      Map.entry("sqlserver", 1433), Map.entry("oracle", 1521), Map.entry("redis", 6379),
      Map.entry("rediss", 6379), Map.entry("mongodb", 27017), Map.entry("amqp", 5672),
      Map.entry("amqps", 5671), Map.entry("mqtt", 1883), Map.entry("mqtts", 8883),
      Map.entry("nats", 4222), Map.entry("kafka", 9092), Map.entry("memcached", 11211),
      Map.entry("rtsp", 554), Map.entry("xmpp", 5222), Map.entry("irc", 6667),
      Map.entry("ircs", 6697), Map.entry("vnc", 5900), Map.entry("rdp", 3389),
      Map.entry("nntp", 119), Map.entry("rsync", 873), Map.entry("socks", 1080),
      Map.entry("socks4", 1080), Map.entry("socks5", 1080), Map.entry("gopher", 70),
      Map.entry("zookeeper", 2181), Map.entry("cassandra", 9042), Map.entry("dns", 53),
      Map.entry("smb", 445), Map.entry("nfs", 2049));

  /** {@code scheme://authority rest}, after an optional {@code jdbc:}. */
  private static final Pattern URL =
      Pattern.compile("(?i)(?:jdbc:)?([a-z][a-z0-9+.-]*)://([^/?#;]*)(.*)", Pattern.DOTALL);

  /**
   * The targets that the words of {@code check} or {@code ping} stand for: each {@code
   * host:port}, URL or list of {@code host:port} as one or more targets, a host followed by a
   * word of digits as that host and port. Texts that are none of these come back as they are,
   * for {@link Target#parse} to say what is wrong.
   *
   * @param words the command's target arguments
   * @return the targets as {@code host:port} or {@code [v6]:port} texts
   * @throws UsageException with a "did you mean" for what reads two ways
   */
  public static List<String> targets(List<String> words) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < words.size(); i++) {
      String w = words.get(i).strip();
      if (isPort(w)) {
        String host = out.isEmpty() ? "HOST" : hostOf(out.getLast());
        throw new UsageException("'" + w + "' is a port without a host: did you mean " + host
            + ":" + w + "?");
      }
      String url = url(w);
      if (url != null) {
        out.add(url);
        continue;
      }
      if (w.indexOf(',') >= 0) {
        out.addAll(list(w));
        continue;
      }
      if (hostAlone(w)) {
        String next = i + 1 < words.size() ? words.get(i + 1).strip() : null;
        if (next != null && isPort(next)) {
          out.add(withPort(w, next));
          i++;
          continue;
        }
        if (!bareIpv6(w)) { // fd00::1:80 may be an address and a port: Target.parse says how to write it
          throw new UsageException("'" + TargetList.shorten(w) + "' has no port: did you mean "
              + bracketed(w) + ":PORT (or " + TargetList.shorten(w) + " PORT)?");
        }
      }
      out.add(w);
    }
    return out;
  }

  /**
   * A URL as {@code host:port}, the scheme's port when it names none; its user, password, path,
   * query and fragment dropped.
   *
   * @param text a target as written
   * @return {@code host:port} ({@code [v6]:port}), or null when {@code text} is not a URL
   * @throws UsageException when it is a URL without a host, or of a scheme whose port is unknown
   */
  public static String url(String text) {
    Matcher m = URL.matcher(text.strip());
    if (!m.matches()) {
      return null;
    }
    String scheme = m.group(1).toLowerCase(Locale.ROOT);
    String authority = m.group(2);
    int at = authority.lastIndexOf('@');
    String hostPort = at >= 0 ? authority.substring(at + 1) : authority; // no user, no password
    String shown = "'" + TargetList.shorten(scheme + "://" + hostPort + (m.group(3).isEmpty() ? "" : "/...")) + "'";
    String host;
    String port;
    if (hostPort.startsWith("[")) {
      int close = hostPort.indexOf(']');
      if (close < 0) {
        throw new UsageException(shown + ": '[' without ']' in the URL's host");
      }
      host = hostPort.substring(0, close + 1);
      String rest = hostPort.substring(close + 1);
      if (!rest.isEmpty() && !rest.startsWith(":")) {
        throw new UsageException(shown + ": expected ':port' after ']'");
      }
      port = rest.isEmpty() ? "" : rest.substring(1);
    } else {
      int colon = hostPort.indexOf(':');
      if (colon >= 0 && hostPort.indexOf(':', colon + 1) >= 0) {
        throw new UsageException(shown + ": an IPv6 address in a URL needs brackets, as in "
            + scheme + "://[fd00::1]:80/");
      }
      host = colon < 0 ? hostPort : hostPort.substring(0, colon);
      port = colon < 0 ? "" : hostPort.substring(colon + 1);
    }
    if (host.isEmpty()) {
      throw new UsageException(shown + ": the URL has no host");
    }
    if (port.isEmpty()) {
      Integer p = SCHEMES.get(scheme);
      if (p == null) {
        p = Ports.table().get(scheme);
      }
      if (p == null) {
        throw new UsageException(shown + ": no port for the scheme '" + TargetList.shorten(scheme)
            + "' is known: did you mean " + TargetList.shorten(host) + ":PORT?");
      }
      port = Integer.toString(p);
    }
    return host + ":" + port;
  }

  /**
   * {@code text} as a message may quote it: a URL without its user and password.
   *
   * @param text a target as written
   * @return the text, a URL's {@code user:password@} left out
   */
  public static String redact(String text) {
    Matcher m = URL.matcher(text);
    if (!m.matches() || m.group(2).indexOf('@') < 0) {
      return text;
    }
    return text.substring(0, m.start(2)) + m.group(2).substring(m.group(2).lastIndexOf('@') + 1)
        + m.group(3);
  }

  /** Whether {@code text} starts as a URL ({@code scheme://}, or {@code jdbc:scheme://}). */
  static boolean isUrl(String text) {
    return URL.matcher(text.strip()).matches();
  }

  /** {@code a:80,b:443}: whole targets, each with its port. */
  private static List<String> list(String w) {
    String[] parts = w.split(",", -1);
    List<String> out = new ArrayList<>();
    List<String> meant = new ArrayList<>(); // what a list with bare ports would mean, if anything
    boolean ambiguous = false;
    for (String part : parts) {
      String p = part.strip();
      if (p.isEmpty()) {
        throw new UsageException("'" + TargetList.shorten(w) + "': empty element in a list of"
            + " targets (write host:port,host:port, or one target per argument)");
      }
      if (isPort(p) && !meant.isEmpty()) {
        ambiguous = true;
        meant.add(hostOf(meant.getLast()) + ":" + p);
        continue;
      }
      String url = url(p);
      String t = url != null ? url : p;
      if (url == null && (isPort(p) || hostAlone(p))) {
        throw new UsageException("'" + TargetList.shorten(w) + "': '" + TargetList.shorten(p)
            + "' has no port: did you mean " + (isPort(p) ? "HOST:" + p : bracketed(p) + ":PORT")
            + "? (a list takes whole host:port targets)");
      }
      out.add(t);
      meant.add(t);
    }
    if (ambiguous) {
      throw new UsageException("'" + TargetList.shorten(w) + "': a list takes whole host:port"
          + " targets; did you mean " + String.join(" ", meant) + "?");
    }
    return out;
  }

  private static boolean isPort(String w) {
    return !w.isEmpty() && w.length() <= 6 && w.chars().allMatch(c -> c >= '0' && c <= '9');
  }

  /** A host that is fine without a port: a name, an address, {@code [v6]} or a bare IPv6. */
  private static boolean hostAlone(String w) {
    try {
      Target.parse(w);
      return false;
    } catch (IllegalArgumentException e) {
      // not host:port as it is
    }
    try {
      Target.parse(w, 1);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static boolean bareIpv6(String w) {
    return !w.startsWith("[") && w.indexOf(':') != w.lastIndexOf(':');
  }

  private static String bracketed(String host) {
    return bareIpv6(host) ? "[" + host + "]" : host;
  }

  /** {@code host} (which {@link #hostAlone} took) with {@code port}, brackets where needed. */
  private static String withPort(String host, String port) {
    String h = Target.parse(host, 1).host();
    return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + port;
  }

  /** The host part of a {@code host:port} or {@code [v6]:port} text, as written. */
  private static String hostOf(String target) {
    int colon = target.lastIndexOf(':');
    return colon > 0 ? target.substring(0, colon) : target;
  }
}
