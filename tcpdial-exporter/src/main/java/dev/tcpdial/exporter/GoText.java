package dev.tcpdial.exporter;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Values written the way blackbox_exporter (Go, client_golang) writes them, so a series compares
 * equal as text: numbers as {@code strconv.FormatFloat(f, 'g', -1, 64)} with client_golang's
 * special cases, distinguished names as {@code pkix.Name.String()}, serial numbers as {@code
 * fmt.Sprintf("%x", serial.Bytes())}.
 */
final class GoText {
  private GoText() {}

  /**
   * A sample value as client_golang's text format writes it: {@code 1}, {@code 0}, {@code -1},
   * {@code NaN}, {@code +Inf}, {@code -Inf}, else Go's shortest {@code 'g'} form ({@code 0.25},
   * {@code 3.668918509e+09}, {@code 1e-05}).
   */
  static String number(double f) {
    if (Double.isNaN(f)) {
      return "NaN";
    }
    if (Double.isInfinite(f)) {
      return f > 0 ? "+Inf" : "-Inf";
    }
    if (f == 0) {
      return "0"; // -0 too: client_golang tests f == 0
    }
    // the shortest decimal that reads back as f: Java's Double.toString gives the same digits
    // (JDK 19+, Raffaello Giulietti's algorithm: shortest, correctly rounded)
    BigDecimal d = new BigDecimal(Double.toString(Math.abs(f))).stripTrailingZeros();
    if (d.precision() == 2) {
      // Java writes at least two digits: where one reads back as f too (the smallest
      // subnormals: 4.9E-324 is Go's 5e-324), Go's shortest is that one
      BigDecimal one = d.round(new java.math.MathContext(1, java.math.RoundingMode.HALF_EVEN));
      if (Double.parseDouble(one.toString()) == Math.abs(f)) {
        d = one.stripTrailingZeros();
      }
    }
    String digits = d.unscaledValue().toString();
    int exp = digits.length() - 1 - d.scale(); // decimal exponent of the first digit
    StringBuilder b = new StringBuilder();
    if (f < 0) {
      b.append('-');
    }
    // Go's 'g' with the shortest precision: %e when the exponent is < -4 or >= 6
    if (exp < -4 || exp >= 6) {
      b.append(digits.charAt(0));
      if (digits.length() > 1) {
        b.append('.').append(digits, 1, digits.length());
      }
      b.append('e').append(exp < 0 ? '-' : '+');
      int a = Math.abs(exp);
      if (a < 10) {
        b.append('0');
      }
      b.append(a);
      return b.toString();
    }
    if (exp < 0) {
      b.append("0.");
      b.append("0".repeat(-exp - 1)).append(digits);
    } else if (digits.length() <= exp + 1) {
      b.append(digits).append("0".repeat(exp + 1 - digits.length()));
    } else {
      b.append(digits, 0, exp + 1).append('.').append(digits, exp + 1, digits.length());
    }
    return b.toString();
  }

  /**
   * A sample value as client_golang's OpenMetrics writer writes a float: {@code 1.0}, {@code
   * 0.0}, {@code -1.0}, {@code NaN}, {@code +Inf}, {@code -Inf}, else Go's shortest {@code 'g'}
   * form with {@code .0} appended when it has neither a point nor an exponent ({@code 8.0},
   * {@code 0.25}, {@code 1.796438199e+09}).
   */
  static String openMetricsNumber(double f) {
    String g = number(f);
    if (f == 0 || Double.isNaN(f) || Double.isInfinite(f)) {
      return f == 0 ? "0.0" : g;
    }
    return g.indexOf('.') >= 0 || g.indexOf('e') >= 0 ? g : g + ".0";
  }

  /**
   * A text exposition written by the Prometheus Java client (text format 0.0.4 or OpenMetrics,
   * by {@code contentType}), with every sample value and every {@code le} and {@code quantile}
   * label value rewritten as client_golang writes them in that format: Java's {@code 1.0} and
   * {@code 3.668918509E9} become {@code 1} and {@code 3.668918509e+09} (text), {@code 1.0} and
   * {@code 3.668918509e+09} (OpenMetrics, where whole counts stay integers as Go writes them).
   * Comments, names, other labels, timestamps and exemplars are left as they are; another
   * content type (protobuf) is returned unchanged.
   *
   * @param body the exposition as written
   * @param contentType the writer's content type
   * @return the exposition with Go's numbers
   */
  static byte[] exposition(byte[] body, String contentType) {
    boolean om = contentType.startsWith("application/openmetrics-text");
    if (!om && !contentType.startsWith("text/plain")) {
      return body;
    }
    String s = new String(body, StandardCharsets.UTF_8);
    StringBuilder b = new StringBuilder(s.length() + 64);
    int i = 0;
    while (i < s.length()) {
      int eol = s.indexOf('\n', i);
      if (eol < 0) {
        eol = s.length();
      }
      sample(s, i, eol, om, b);
      if (eol < s.length()) {
        b.append('\n');
      }
      i = eol + 1;
    }
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  // One line: a comment as it is; a sample as name, labels (le and quantile rewritten), value
  // (rewritten), then the rest (timestamp, exemplar) as it is. A line that does not parse is
  // kept whole.
  private static void sample(String s, int from, int to, boolean om, StringBuilder b) {
    if (from == to || s.charAt(from) == '#') {
      b.append(s, from, to);
      return;
    }
    int mark = b.length();
    int i = from;
    while (i < to && s.charAt(i) != '{' && s.charAt(i) != ' ') {
      i++;
    }
    b.append(s, from, i);
    if (i < to && s.charAt(i) == '{') {
      b.append('{');
      i++;
      while (i < to && s.charAt(i) != '}') {
        int eq = s.indexOf('=', i);
        if (eq < 0 || eq >= to || eq + 1 >= to || s.charAt(eq + 1) != '"') {
          keep(s, from, to, b, mark);
          return;
        }
        String name = s.substring(i, eq);
        int j = eq + 2;
        StringBuilder v = new StringBuilder();
        while (j < to && s.charAt(j) != '"') {
          if (s.charAt(j) == '\\' && j + 1 < to) {
            v.append(s.charAt(j++));
          }
          v.append(s.charAt(j++));
        }
        if (j >= to) {
          keep(s, from, to, b, mark);
          return;
        }
        String value = v.toString();
        if (name.equals("le") || name.equals("quantile")) {
          String n = rewrite(value, om, true);
          value = n == null ? value : n;
        }
        b.append(name).append("=\"").append(value).append('"');
        i = j + 1;
        if (i < to && s.charAt(i) == ',') {
          b.append(',');
          i++;
        }
      }
      if (i >= to) {
        keep(s, from, to, b, mark);
        return;
      }
      b.append('}');
      i++;
    }
    if (i >= to || s.charAt(i) != ' ') {
      keep(s, from, to, b, mark);
      return;
    }
    b.append(' ');
    i++;
    int end = s.indexOf(' ', i);
    if (end < 0 || end > to) {
      end = to;
    }
    String n = rewrite(s.substring(i, end), om, false);
    if (n == null) {
      keep(s, from, to, b, mark);
      return;
    }
    b.append(n).append(s, end, to);
  }

  private static void keep(String s, int from, int to, StringBuilder b, int mark) {
    b.setLength(mark);
    b.append(s, from, to);
  }

  // Go's spelling of the number Java wrote as {@code t}, or null when t is not a number. In
  // OpenMetrics Go writes counts (bucket and _count samples) as integers, as Java does.
  private static String rewrite(String t, boolean om, boolean label) {
    double f;
    switch (t) {
      case "NaN" -> f = Double.NaN;
      case "+Inf" -> f = Double.POSITIVE_INFINITY;
      case "-Inf" -> f = Double.NEGATIVE_INFINITY;
      default -> {
        if (t.isEmpty() || !t.matches("[-+]?[0-9.]+([eE][-+]?[0-9]+)?")) {
          return null;
        }
        if (om && !label && t.matches("-?[0-9]+")) {
          return t;
        }
        try {
          f = Double.parseDouble(t);
        } catch (NumberFormatException e) {
          return null;
        }
      }
    }
    return om ? openMetricsNumber(f) : number(f);
  }

  /** A label value escaped as the text format wants it: backslash, double quote, line feed. */
  static String labelValue(String s) {
    StringBuilder b = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> b.append("\\\\");
        case '"' -> b.append("\\\"");
        case '\n' -> b.append("\\n");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /** A HELP text escaped as the text format wants it: backslash and line feed. */
  static String help(String s) {
    return s.replace("\\", "\\\\").replace("\n", "\\n");
  }

  /** {@code fmt.Sprintf("%x", n.Bytes())}: the magnitude's bytes, lower-case, no sign, "" for 0. */
  static String serial(BigInteger n) {
    byte[] b = n.abs().toByteArray();
    int from = 0;
    while (from < b.length && b[from] == 0) {
      from++;
    }
    return HexFormat.of().formatHex(b, from, b.length);
  }

  // ---- pkix.Name.String() ----

  private static final String OID_CN = "2.5.4.3";
  private static final String OID_SERIAL = "2.5.4.5";
  private static final String OID_C = "2.5.4.6";
  private static final String OID_L = "2.5.4.7";
  private static final String OID_ST = "2.5.4.8";
  private static final String OID_STREET = "2.5.4.9";
  private static final String OID_O = "2.5.4.10";
  private static final String OID_OU = "2.5.4.11";
  private static final String OID_POSTAL = "2.5.4.17";

  /** One attribute of a name: its OID and value as Go parsed it (a string). */
  private record Atv(String oid, String value) {}

  /**
   * {@code pkix.Name.String()} of a DER-encoded X.501 Name ({@code X500Principal.getEncoded()}).
   * Go parses the name into fields and writes them back in its own order, reversed: {@code
   * CN=..,OU=..,O=..,POSTALCODE=..,STREET=..,L=..,ST=..,C=..}, several values of one attribute
   * joined by {@code +}, then every other attribute as {@code OID=#hex} of its value re-encoded
   * as Go's {@code asn1.Marshal} encodes a string. Only the first {@code CN} and {@code
   * SERIALNUMBER} count, as in Go.
   *
   * @throws IllegalArgumentException for DER that is not a Name
   */
  static String name(byte[] der) {
    List<Atv> all = parseName(der);
    List<List<Atv>> rdns = new ArrayList<>();
    // attributes Go has no field for come first in the sequence, so last in the string
    for (Atv a : all) {
      if (!isParsedField(a.oid())) {
        rdns.add(List.of(a));
      }
    }
    addAll(rdns, all, OID_C);
    addAll(rdns, all, OID_ST);
    addAll(rdns, all, OID_L);
    addAll(rdns, all, OID_STREET);
    addAll(rdns, all, OID_POSTAL);
    addAll(rdns, all, OID_O);
    addAll(rdns, all, OID_OU);
    // CommonName and SerialNumber: Go keeps the last one parsed (each assignment overwrites)
    addLast(rdns, all, OID_CN);
    addLast(rdns, all, OID_SERIAL);
    StringBuilder s = new StringBuilder();
    for (int i = rdns.size() - 1; i >= 0; i--) {
      if (s.length() > 0) {
        s.append(',');
      }
      List<Atv> rdn = rdns.get(i);
      for (int j = 0; j < rdn.size(); j++) {
        if (j > 0) {
          s.append('+');
        }
        Atv a = rdn.get(j);
        String type = shortName(a.oid());
        if (type == null) {
          s.append(a.oid()).append("=#").append(HexFormat.of().formatHex(marshalString(a.value())));
          continue;
        }
        s.append(type).append('=').append(escapeValue(a.value()));
      }
    }
    return s.toString();
  }

  private static boolean isParsedField(String oid) {
    return switch (oid) {
      case OID_CN, OID_SERIAL, OID_C, OID_L, OID_ST, OID_STREET, OID_O, OID_OU, OID_POSTAL -> true;
      default -> false;
    };
  }

  private static String shortName(String oid) {
    return switch (oid) {
      case OID_C -> "C";
      case OID_O -> "O";
      case OID_OU -> "OU";
      case OID_CN -> "CN";
      case OID_SERIAL -> "SERIALNUMBER";
      case OID_L -> "L";
      case OID_ST -> "ST";
      case OID_STREET -> "STREET";
      case OID_POSTAL -> "POSTALCODE";
      default -> null;
    };
  }

  private static void addAll(List<List<Atv>> rdns, List<Atv> all, String oid) {
    List<Atv> values = new ArrayList<>();
    for (Atv a : all) {
      if (a.oid().equals(oid)) {
        values.add(a);
      }
    }
    if (!values.isEmpty()) {
      rdns.add(values);
    }
  }

  private static void addLast(List<List<Atv>> rdns, List<Atv> all, String oid) {
    Atv last = null;
    for (Atv a : all) {
      if (a.oid().equals(oid)) {
        last = a;
      }
    }
    if (last != null && !last.value().isEmpty()) {
      rdns.add(List.of(last));
    }
  }

  private static String escapeValue(String v) {
    StringBuilder b = new StringBuilder(v.length());
    int[] cps = v.codePoints().toArray();
    // Go indexes by byte offset: k == 0 is the first rune, len-1 the last byte (so a trailing
    // space is escaped, being one byte)
    int byteLen = v.getBytes(StandardCharsets.UTF_8).length;
    int offset = 0;
    for (int cp : cps) {
      boolean escape = switch (cp) {
        case ',', '+', '"', '\\', '<', '>', ';' -> true;
        case ' ' -> offset == 0 || offset == byteLen - 1;
        case '#' -> offset == 0;
        default -> false;
      };
      if (escape) {
        b.append('\\');
      }
      b.appendCodePoint(cp);
      offset += new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
    }
    return b.toString();
  }

  /**
   * Go's {@code asn1.Marshal} of a string: PrintableString when every character is one, else
   * UTF8String.
   */
  private static byte[] marshalString(String v) {
    byte[] body = v.getBytes(StandardCharsets.UTF_8);
    boolean printable = true;
    for (byte c : body) {
      if (!printableChar(c)) {
        printable = false;
        break;
      }
    }
    byte[] len = derLength(body.length);
    byte[] out = new byte[1 + len.length + body.length];
    out[0] = (byte) (printable ? 0x13 : 0x0c);
    System.arraycopy(len, 0, out, 1, len.length);
    System.arraycopy(body, 0, out, 1 + len.length, body.length);
    return out;
  }

  private static boolean printableChar(byte b) {
    int c = b & 0xff;
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || "'()+,-./:=? ".indexOf(c) >= 0;
  }

  private static byte[] derLength(int n) {
    if (n < 0x80) {
      return new byte[] {(byte) n};
    }
    byte[] b = BigInteger.valueOf(n).toByteArray();
    int from = b[0] == 0 ? 1 : 0;
    byte[] out = new byte[1 + b.length - from];
    out[0] = (byte) (0x80 | (b.length - from));
    System.arraycopy(b, from, out, 1, b.length - from);
    return out;
  }

  // A minimal DER reader: Name ::= SEQUENCE OF RDN; RDN ::= SET OF AttributeTypeAndValue;
  // AttributeTypeAndValue ::= SEQUENCE { type OID, value ANY (a string type) }.
  private static List<Atv> parseName(byte[] der) {
    Der top = new Der(der, 0, der.length);
    Der seq = top.next(0x30);
    List<Atv> out = new ArrayList<>();
    while (seq.more()) {
      Der set = seq.next(0x31);
      while (set.more()) {
        Der atv = set.next(0x30);
        Der oid = atv.next(0x06);
        int tag = atv.peekTag();
        Der value = atv.next(tag);
        out.add(new Atv(oid.oid(), value.string(tag)));
      }
    }
    return out;
  }

  private static final class Der {
    private final byte[] b;
    private int pos;
    private final int end;

    Der(byte[] b, int pos, int end) {
      this.b = b;
      this.pos = pos;
      this.end = end;
    }

    boolean more() {
      return pos < end;
    }

    int peekTag() {
      if (pos >= end) {
        throw new IllegalArgumentException("truncated name");
      }
      return b[pos] & 0xff;
    }

    Der next(int tag) {
      if (peekTag() != tag) {
        throw new IllegalArgumentException("unexpected tag in name");
      }
      pos++;
      if (pos >= end) {
        throw new IllegalArgumentException("truncated name");
      }
      int len = b[pos++] & 0xff;
      if (len >= 0x80) {
        int n = len & 0x7f;
        if (n == 0 || n > 3 || pos + n > end) {
          throw new IllegalArgumentException("bad length in name");
        }
        len = 0;
        for (int i = 0; i < n; i++) {
          len = (len << 8) | (b[pos++] & 0xff);
        }
      }
      if (len > end - pos) {
        throw new IllegalArgumentException("truncated name");
      }
      Der d = new Der(b, pos, pos + len);
      pos += len;
      return d;
    }

    String oid() {
      StringBuilder s = new StringBuilder();
      long v = 0;
      boolean first = true;
      for (int i = pos; i < end; i++) {
        v = (v << 7) | (b[i] & 0x7f);
        if ((b[i] & 0x80) == 0) {
          if (first) {
            long x = v < 80 ? v / 40 : 2;
            s.append(x).append('.').append(v - 40 * x);
            first = false;
          } else {
            s.append('.').append(v);
          }
          v = 0;
        }
      }
      return s.toString();
    }

    String string(int tag) {
      int len = end - pos;
      return switch (tag) {
        case 0x0c, 0x13, 0x16, 0x12 -> new String(b, pos, len, StandardCharsets.UTF_8);
        case 0x14 -> new String(b, pos, len, StandardCharsets.ISO_8859_1); // T61String, as Go
        case 0x1e -> new String(b, pos, len, StandardCharsets.UTF_16BE); // BMPString
        default -> throw new IllegalArgumentException(String.format(Locale.ROOT,
            "unsupported string type 0x%02x in name", tag));
      };
    }
  }
}
