package dev.tcpdial.exporter;

/**
 * Whether Go's {@code net/url.Parse} takes a URL, for {@code proxy_url}: blackbox_exporter refuses
 * at load what it refuses (a control character, a missing scheme before {@code :}, a bad port, a
 * bad {@code %}-escape, a character a host name cannot have).
 */
final class GoUrl {
  private GoUrl() {}

  /** Go's reason for refusing {@code raw}, or null when Go parses it. */
  static String check(String raw) {
    int hash = raw.indexOf('#');
    String u = hash < 0 ? raw : raw.substring(0, hash);
    for (int i = 0; i < u.length(); i++) {
      char c = u.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return "net/url: invalid control character in URL";
      }
    }
    if (u.equals("*")) {
      return null;
    }
    String scheme = "";
    String rest = u;
    for (int i = 0; i < u.length(); i++) {
      char c = u.charAt(i);
      if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
        continue;
      }
      if (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
        if (i == 0) {
          break;
        }
        continue;
      }
      if (c == ':') {
        if (i == 0) {
          return "missing protocol scheme";
        }
        scheme = u.substring(0, i);
        rest = u.substring(i + 1);
      }
      break;
    }
    if (rest.endsWith("?") && rest.indexOf('?') == rest.length() - 1) {
      rest = rest.substring(0, rest.length() - 1);
    } else if (rest.indexOf('?') >= 0) {
      rest = rest.substring(0, rest.indexOf('?'));
    }
    if (!rest.startsWith("/")) {
      if (!scheme.isEmpty()) {
        return fragment(raw, hash); // opaque
      }
      int slash = rest.indexOf('/');
      if ((slash < 0 ? rest : rest.substring(0, slash)).contains(":")) {
        return "first path segment in URL cannot contain colon";
      }
    }
    if ((!scheme.isEmpty() || !rest.startsWith("///")) && rest.startsWith("//")) {
      String authority = rest.substring(2);
      rest = "";
      int slash = authority.indexOf('/');
      if (slash >= 0) {
        rest = authority.substring(slash);
        authority = authority.substring(0, slash);
      }
      String why = authority(authority);
      if (why != null) {
        return why;
      }
    }
    String why = unescape(rest, Mode.PATH);
    return why != null ? why : fragment(raw, hash);
  }

  private static String fragment(String raw, int hash) {
    return hash < 0 ? null : unescape(raw.substring(hash + 1), Mode.PATH);
  }

  private enum Mode { PATH, HOST, ZONE, USER }

  private static String authority(String a) {
    int at = a.lastIndexOf('@');
    String why = host(at < 0 ? a : a.substring(at + 1));
    if (why != null || at < 0) {
      return why;
    }
    String user = a.substring(0, at);
    for (int i = 0; i < user.length(); i++) {
      char c = user.charAt(i);
      if (!(c < 0x80 && Character.isLetterOrDigit(c) || "-._:~!$&'()*+,;=%@".indexOf(c) >= 0)) {
        return "net/url: invalid userinfo";
      }
    }
    int colon = user.indexOf(':');
    why = unescape(colon < 0 ? user : user.substring(0, colon), Mode.USER);
    if (why == null && colon >= 0) {
      why = unescape(user.substring(colon + 1), Mode.USER);
    }
    return why;
  }

  private static String host(String h) {
    if (h.startsWith("[")) {
      int close = h.lastIndexOf(']');
      if (close < 0) {
        return "missing ']' in host";
      }
      String port = h.substring(close + 1);
      if (!port(port)) {
        return "invalid port \"" + Config.escape(port) + "\" after host";
      }
      int zone = h.substring(0, close).indexOf("%25");
      if (zone >= 0) {
        String why = unescape(h.substring(0, zone), Mode.HOST);
        if (why == null) {
          why = unescape(h.substring(zone, close), Mode.ZONE);
        }
        return why != null ? why : unescape(h.substring(close), Mode.HOST);
      }
    } else {
      int colon = h.lastIndexOf(':');
      if (colon >= 0 && !port(h.substring(colon))) {
        return "invalid port \"" + Config.escape(h.substring(colon)) + "\" after host";
      }
    }
    return unescape(h, Mode.HOST);
  }

  private static boolean port(String p) {
    if (p.isEmpty()) {
      return true;
    }
    if (p.charAt(0) != ':') {
      return false;
    }
    for (int i = 1; i < p.length(); i++) {
      if (p.charAt(i) < '0' || p.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static String unescape(String s, Mode mode) {
    for (int i = 0; i < s.length(); ) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length() || hex(s.charAt(i + 1)) < 0 || hex(s.charAt(i + 2)) < 0) {
          String bad = s.substring(i, Math.min(s.length(), i + 3));
          return "invalid URL escape \"" + Config.escape(bad) + "\"";
        }
        String esc = s.substring(i, i + 3);
        if (mode == Mode.HOST && hex(s.charAt(i + 1)) < 8 && !esc.equals("%25")) {
          return "invalid URL escape \"" + esc + "\"";
        }
        if (mode == Mode.ZONE) {
          char v = (char) (hex(s.charAt(i + 1)) << 4 | hex(s.charAt(i + 2)));
          if (!esc.equals("%25") && v != ' ' && hostNeedsEscape(v)) {
            return "invalid URL escape \"" + esc + "\"";
          }
        }
        i += 3;
        continue;
      }
      if ((mode == Mode.HOST || mode == Mode.ZONE) && c < 0x80 && hostNeedsEscape(c)) {
        return "invalid character \"" + Config.escape(String.valueOf(c)) + "\" in host name";
      }
      i++;
    }
    return null;
  }

  private static boolean hostNeedsEscape(char c) {
    if (c < 0x80 && Character.isLetterOrDigit(c)) {
      return false;
    }
    return "!$&'()*+,;=:[]<>\"-_.~".indexOf(c) < 0;
  }

  private static int hex(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
  }
}
