package dev.tcpdial.cli.targets;

import dev.tcpdial.cli.process.UsageException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Port lists of {@code -p}, in nmap's syntax where it is unambiguous: {@code 22,80,8000-8100},
 * open-ended ranges ({@code -1024} from 1, {@code 60000-} to 65535, {@code -} every port), one
 * trailing comma, the {@code T:} (TCP) prefix, and service names ({@code ssh,http}) from {@code
 * /etc/services} (TCP entries, aliases included), or from a built-in table of common ones when
 * that file is missing. A port is decimal (leading zeros allowed), 1 to 65535.
 *
 * <p>Where tcpdial differs from nmap on purpose: port 0 is refused (it cannot be connected to;
 * nmap scans it when named), names come from {@code /etc/services}, not nmap-services (nmap's
 * {@code http} is 80 and 8008, here 80), nmap's patterns over its services file ({@code http*},
 * {@code [1-1024]}) are not taken, and {@code U:}, {@code S:}, {@code P:} ports are refused (TCP
 * only).
 */
final class Ports {
  private Ports() {}

  /** Used when /etc/services cannot be read: IANA's assignments for the usual TCP services. */
  private static final Map<String, Integer> BUILT_IN = Map.ofEntries(
      Map.entry("ftp-data", 20), Map.entry("ftp", 21), Map.entry("ssh", 22), Map.entry("telnet", 23),
      Map.entry("smtp", 25), Map.entry("domain", 53), Map.entry("http", 80), Map.entry("www", 80),
      Map.entry("kerberos", 88), Map.entry("pop3", 110), Map.entry("sunrpc", 111),
      Map.entry("ntp", 123), Map.entry("imap", 143), Map.entry("imap2", 143), Map.entry("snmp", 161),
      Map.entry("ldap", 389), Map.entry("https", 443), Map.entry("microsoft-ds", 445),
      Map.entry("submissions", 465), Map.entry("smtps", 465), Map.entry("submission", 587),
      Map.entry("ldaps", 636), Map.entry("rsync", 873), Map.entry("imaps", 993),
      Map.entry("pop3s", 995), Map.entry("socks", 1080), Map.entry("ms-sql-s", 1433),
      Map.entry("openvpn", 1194), Map.entry("mqtt", 1883), Map.entry("nfs", 2049),
      Map.entry("mysql", 3306), Map.entry("ms-wbt-server", 3389), Map.entry("postgresql", 5432),
      Map.entry("amqp", 5672), Map.entry("x11", 6000), Map.entry("redis", 6379),
      Map.entry("http-alt", 8080), Map.entry("webcache", 8080), Map.entry("memcache", 11211),
      Map.entry("mongodb", 27017));

  private static volatile Map<String, Integer> services;

  /** A range with either end left out: {@code 1-10}, {@code -10}, {@code 60000-}, {@code -}. */
  private static final java.util.regex.Pattern RANGE = java.util.regex.Pattern.compile("(\\d*)-(\\d*)");

  /** Parses a list; ascending, each port once. */
  static int[] parse(String spec) {
    if (spec.isBlank()) {
      throw new UsageException("-p: empty port list");
    }
    String[] parts = spec.split(",", -1);
    int n = parts.length;
    if (n > 1 && parts[n - 1].isBlank()) {
      n--; // one trailing comma, as nmap takes it: "-p 80,"
    }
    BitSet set = new BitSet();
    for (int i = 0; i < n; i++) {
      String p = parts[i].strip();
      if (p.length() >= 2 && p.charAt(1) == ':' && Character.isLetter(p.charAt(0))) {
        char proto = p.charAt(0);
        if (proto != 'T' && proto != 't') {
          throw new UsageException("-p '" + TargetList.shorten(spec) + "': '" + proto + ":' ports are"
              + " not TCP; tcpdial dials TCP only (T: or no prefix)");
        }
        p = p.substring(2).strip();
      }
      if (p.isEmpty()) {
        throw new UsageException("-p '" + TargetList.shorten(spec) + "': empty element");
      }
      java.util.regex.Matcher range = RANGE.matcher(p);
      if (range.matches()) {
        int lo = range.group(1).isEmpty() ? 1 : number(range.group(1), spec);
        int hi = range.group(2).isEmpty() ? 65535 : number(range.group(2), spec);
        if (lo > hi) {
          throw new UsageException("-p '" + TargetList.shorten(spec) + "': range " + p + " runs backwards");
        }
        set.set(lo, hi + 1);
      } else if (isDigits(p)) {
        set.set(number(p, spec));
      } else if (p.indexOf('*') >= 0 || p.indexOf('?') >= 0 || p.startsWith("[")) {
        throw new UsageException("-p '" + TargetList.shorten(spec) + "': '" + TargetList.shorten(p)
            + "' is one of nmap's patterns over nmap-services, which tcpdial does not read; write"
            + " the ports, or service names of " + SERVICES);
      } else {
        set.set(service(p, spec));
      }
    }
    return set.stream().toArray();
  }

  private static boolean isDigits(String s) {
    return !s.isEmpty() && s.chars().allMatch(c -> c >= '0' && c <= '9');
  }

  private static int number(String t, String spec) {
    String digits = t.replaceFirst("^0+(?=.)", "");
    int p = digits.length() > 5 ? Integer.MAX_VALUE : Integer.parseInt(digits);
    if (p == 0) {
      throw new UsageException("-p '" + TargetList.shorten(spec) + "': port 0 cannot be connected"
          + " to (nmap scans it when named; tcpdial's ports are 1-65535)");
    }
    if (p < 1 || p > 65535) {
      throw new UsageException("-p '" + TargetList.shorten(spec) + "': port "
          + TargetList.shorten(t) + " is outside 1-65535");
    }
    return p;
  }

  private static int service(String name, String spec) {
    boolean word = name.length() <= 32 && name.chars().allMatch(
        c -> (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.');
    Integer p = word ? table().get(name.toLowerCase(Locale.ROOT)) : null;
    if (p == null) {
      throw new UsageException("-p '" + TargetList.shorten(spec) + "': '" + TargetList.shorten(name)
          + "' is not a port number" + (word ? " or a TCP service name of " + source() : ""));
    }
    return p;
  }

  private static String source() {
    return Files.isReadable(SERVICES) ? SERVICES.toString() : "the built-in table (" + SERVICES + " is missing)";
  }

  static final Path SERVICES = Path.of(System.getProperty("tcpdial.services", "/etc/services"));

  /** Service name to TCP port: /etc/services when readable, else {@link #BUILT_IN}. */
  static Map<String, Integer> table() {
    Map<String, Integer> t = services;
    if (t == null) {
      t = read(SERVICES);
      services = t;
    }
    return t;
  }

  static Map<String, Integer> read(Path file) {
    Map<String, Integer> t = new HashMap<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
      String line;
      while ((line = r.readLine()) != null) {
        int hash = line.indexOf('#');
        String[] f = (hash >= 0 ? line.substring(0, hash) : line).trim().split("\\s+");
        if (f.length < 2 || !f[1].endsWith("/tcp")) {
          continue;
        }
        String port = f[1].substring(0, f[1].length() - 4);
        if (!isDigits(port) || port.length() > 5) {
          continue;
        }
        int p = Integer.parseInt(port);
        if (p < 1 || p > 65535) {
          continue;
        }
        for (int i = 0; i < f.length; i++) {
          if (i != 1) {
            t.putIfAbsent(f[i].toLowerCase(Locale.ROOT), p);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      return BUILT_IN;
    }
    return t.isEmpty() ? BUILT_IN : t;
  }
}
