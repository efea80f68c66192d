package dev.tcpdial.exporter;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The dialogue stage: a module's {@code query_response} steps run in order, as blackbox_exporter
 * runs them. Each step: read lines until one matches {@code expect} (lines end at {@code \n}, one
 * {@code \r} before it dropped, at most 64 KiB, as Go's {@code bufio.Scanner}); then read {@code
 * expect_bytes}; then send {@code send} and a line feed, with {@code ${1}} expanded from the last
 * match as Go's {@code Regexp.Expand} expands it; then, with {@code starttls}, upgrade to TLS
 * (what was read in the clear and not used is dropped, as Go's fresh scanner drops it).
 *
 * <p>Where tcpdial differs on purpose: {@code expect_bytes} reads until it has as many bytes as
 * it expects (blackbox_exporter takes one {@code read}, which may return fewer on a slow
 * network) and takes bytes already read ahead with the lines. A {@code send} the peer no longer
 * takes because it closed or reset the connection after answering (RabbitMQ answers the first
 * eight bytes of {@code rabbitmq}'s four sends with its protocol header and closes) does not end
 * the dialogue at once: later sends are skipped, and later steps read what the peer sent before
 * it went; if they all match, the dialogue completes, else it fails at that send, as
 * blackbox_exporter's does (whose write usually wins that race on a fast machine).
 */
final class Dialogue {
  private Dialogue() {}

  /** Go's {@code bufio.MaxScanTokenSize}: a longer line fails the probe. */
  static final int MAX_LINE = 64 * 1024;

  /** Outcome label values of {@code probe_query_outcome}. */
  static final String COMPLETED = "completed";
  static final String NOT_CONFIGURED = "not_configured";
  static final String NOT_REACHED = "not_reached";
  static final String EXPECT_MISMATCH = "expect_mismatch";
  static final String BYTES_MISMATCH = "bytes_mismatch";
  static final String CLOSED_BY_PEER = "closed_by_peer";
  static final String RESET = "reset";
  static final String TIMEOUT = "timeout";
  static final String LINE_TOO_LONG = "line_too_long";
  static final String STARTTLS_FAILED = "starttls_failed";
  static final String TLS_ERROR = "tls_error";
  static final String CANCELLED = "cancelled";
  static final String ERROR = "error";

  /** What the dialogue talks through: a {@link Wire}, or a script in tests and fuzzing. */
  interface Peer {
    /** Reads some bytes, waiting for one; -1 at the end of the stream. */
    int read(ByteBuffer dst) throws Wire.Failure;

    /** Writes all of {@code data}. */
    void write(byte[] data) throws Wire.Failure;

    /** Upgrades to TLS; the result says how the handshake went. */
    TlsStage.Result startTls();
  }

  /**
   * How the dialogue ended.
   *
   * @param step the step (1-based) it ended at; 0 when it completed or did not run
   * @param outcome one of the outcome constants
   * @param failedDueToRegex {@code probe_failed_due_to_regex}: 1 when an {@code expect} found no
   *     matching line before the stream ended, else 0
   * @param failedDueToBytes {@code probe_failed_due_to_bytes}: 1 when {@code expect_bytes} read
   *     other bytes, else 0
   * @param expectInfo the labels of {@code probe_expect_info} (name to value, in order) from the
   *     last step with {@code labels} whose {@code expect} matched, or null
   * @param tls the handshake of a {@code starttls} step, or null when none ran
   * @param transcript what was sent, read and matched, one line each, for the debug page
   */
  record Result(int step, String outcome, int failedDueToRegex, int failedDueToBytes,
      Map<String, String> expectInfo, TlsStage.Result tls, List<String> transcript) {
    Result {
      transcript = List.copyOf(transcript);
    }

    boolean ok() {
      return outcome.equals(COMPLETED) || outcome.equals(NOT_CONFIGURED);
    }
  }

  /** A dialogue of no steps. */
  static Result none(String outcome) {
    return new Result(0, outcome, 0, 0, null, null, List.of());
  }

  /** Runs {@code steps} with {@code peer}. */
  static Result run(List<QueryStep> steps, Peer peer) {
    return new Run(peer).steps(steps);
  }

  private static final class Run {
    private final Peer peer;
    private final List<String> log = new ArrayList<>();
    private byte[] buf = new byte[4096];
    private int start;
    private int end;
    private boolean eof;
    private int regex;
    private int bytes;
    private Map<String, String> info;
    private TlsStage.Result tls;
    /** The first send the peer no longer took (it closed or reset), or null. */
    private Result sentInto;

    Run(Peer peer) {
      this.peer = peer;
    }

    /** How the dialogue ended; after a send the peer did not take, any failure is that one. */
    Result end(int step, String outcome) {
      if (sentInto != null && !outcome.equals(COMPLETED)) {
        return new Result(sentInto.step(), sentInto.outcome(), sentInto.failedDueToRegex(),
            sentInto.failedDueToBytes(), info, tls, log);
      }
      return new Result(step, outcome, regex, bytes, info, tls, log);
    }

    Result failure(int step, Wire.Failure f, String what) {
      log.add("step " + step + ": " + what + ": " + f.getMessage());
      return end(step, switch (f.kind) {
        case TIMEOUT -> TIMEOUT;
        case RESET -> RESET;
        case CLOSED -> CLOSED_BY_PEER;
        case CANCELLED -> CANCELLED;
        case TLS -> TLS_ERROR;
        case ERROR -> ERROR;
      });
    }

    Result steps(List<QueryStep> steps) {
      int i = 0;
      for (QueryStep s : steps) {
        i++;
        byte[] line = null;
        Matcher m = null;
        if (s.expect() != null) {
          int lines = 0;
          try {
            while (true) {
              line = nextLine();
              if (line == null) {
                break;
              }
              lines++;
              Matcher x = s.expect().matcher(line);
              boolean found = x.find();
              log.add("step " + i + ": read " + quote(line)
                  + (found ? " (matches " + quote(s.expect().pattern()) + ")" : ""));
              if (found) {
                m = x;
                break;
              }
            }
          } catch (Wire.Failure f) {
            return failure(i, f, "reading");
          } catch (LineTooLong e) {
            log.add("step " + i + ": a line longer than " + MAX_LINE + " bytes");
            return end(i, LINE_TOO_LONG);
          }
          if (m == null) {
            regex = 1;
            log.add("step " + i + ": the peer closed the connection before a line matched "
                + quote(s.expect().pattern()));
            return end(i, lines > 0 ? EXPECT_MISMATCH : CLOSED_BY_PEER);
          }
          regex = 0;
          if (!s.labels().isEmpty()) {
            Map<String, String> labels = new java.util.LinkedHashMap<>();
            for (QueryStep.Label l : s.labels()) {
              labels.put(l.name(), new String(expand(s.expect(), m,
                  l.value().getBytes(StandardCharsets.UTF_8), line), StandardCharsets.UTF_8));
            }
            info = labels;
          }
        }
        byte[] want = s.expectBytes();
        if (want != null && want.length > 0) {
          byte[] got;
          try {
            got = readBytes(want.length);
          } catch (Wire.Failure f) {
            return failure(i, f, "reading bytes");
          }
          log.add("step " + i + ": read bytes " + HexFormat.of().formatHex(got));
          if (got.length < want.length) {
            log.add("step " + i + ": the peer closed the connection after " + got.length
                + " of " + want.length + " bytes");
            return end(i, CLOSED_BY_PEER);
          }
          if (!Arrays.equals(got, want)) {
            bytes = 1;
            log.add("step " + i + ": expected bytes " + HexFormat.of().formatHex(want));
            return end(i, BYTES_MISMATCH);
          }
          bytes = 0;
        }
        byte[] send = s.send();
        if (send != null && m != null) {
          send = expand(s.expect(), m, send, line);
        }
        if (send != null && send.length > 0 && sentInto != null) {
          log.add("step " + i + ": not sent " + quote(send) + " (the peer is gone)");
        } else if (send != null && send.length > 0) {
          byte[] out = Arrays.copyOf(send, send.length + 1);
          out[send.length] = '\n';
          log.add("step " + i + ": send " + quote(send));
          try {
            peer.write(out);
          } catch (Wire.Failure f) {
            if (f.kind != Wire.Kind.RESET && f.kind != Wire.Kind.CLOSED) {
              return failure(i, f, "sending");
            }
            sentInto = failure(i, f, "sending");
            log.add("step " + i + ": reading on: what the peer sent before it went may match");
          }
        }
        if (s.startTls() && sentInto != null) {
          return end(i, STARTTLS_FAILED);
        }
        if (s.startTls()) {
          // bytes read ahead in the clear are not trusted across the upgrade
          start = 0;
          end = 0;
          eof = false;
          tls = peer.startTls();
          log.add("step " + i + ": STARTTLS: " + tls.outcome()
              + (tls.alert().isEmpty() ? "" : " " + tls.alert())
              + (tls.detail() == null ? "" : " (" + tls.detail() + ")"));
          if (!tls.ok()) {
            return end(i, STARTTLS_FAILED);
          }
        }
      }
      return end(0, COMPLETED);
    }

    /** The next line without its ending, or null at the end of the stream. */
    private byte[] nextLine() throws Wire.Failure, LineTooLong {
      int scanned = start;
      while (true) {
        for (int j = scanned; j < end; j++) {
          if (buf[j] == '\n') {
            int stop = j > start && buf[j - 1] == '\r' ? j - 1 : j;
            byte[] line = Arrays.copyOfRange(buf, start, stop);
            start = j + 1;
            return line;
          }
        }
        scanned = end;
        if (eof) {
          if (start == end) {
            return null;
          }
          int stop = buf[end - 1] == '\r' ? end - 1 : end;
          byte[] line = Arrays.copyOfRange(buf, start, stop);
          start = end;
          return line;
        }
        if (start > 0) {
          System.arraycopy(buf, start, buf, 0, end - start);
          end -= start;
          scanned -= start;
          start = 0;
        }
        if (end == buf.length) {
          if (buf.length >= MAX_LINE) {
            throw new LineTooLong();
          }
          buf = Arrays.copyOf(buf, Math.min(MAX_LINE, buf.length * 2));
        }
        int n = peer.read(ByteBuffer.wrap(buf, end, buf.length - end));
        if (n < 0) {
          eof = true;
        } else {
          end += n;
        }
      }
    }

    /** {@code n} bytes, fewer only when the stream ends; bytes read ahead come first. */
    private byte[] readBytes(int n) throws Wire.Failure {
      ByteArrayOutputStream out = new ByteArrayOutputStream(n);
      int take = Math.min(n, end - start);
      out.write(buf, start, take);
      start += take;
      byte[] chunk = new byte[Math.max(1, n)];
      while (out.size() < n && !eof) {
        int r = peer.read(ByteBuffer.wrap(chunk, 0, n - out.size()));
        if (r < 0) {
          eof = true;
        } else {
          out.write(chunk, 0, r);
        }
      }
      return out.toByteArray();
    }
  }

  private static final class LineTooLong extends Exception {
    private static final long serialVersionUID = 1L;

    LineTooLong() {
      super(null, null, false, false);
    }
  }

  /**
   * Go's {@code Regexp.Expand(nil, template, src, match)}: {@code $name} and {@code ${name}}
   * (a name of letters, digits and underscores) become the group of that number or name, or
   * nothing; {@code $$} is {@code $}; a {@code $} not followed by a name stays as it is. The
   * longest name is taken, so {@code $1x} means the group named {@code 1x}.
   */
  static byte[] expand(Pattern re, Matcher m, byte[] template, byte[] src) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(template.length + 16);
    Map<String, Integer> names = re.namedGroups();
    int i = 0;
    while (i < template.length) {
      int dollar = indexOf(template, (byte) '$', i);
      if (dollar < 0) {
        break;
      }
      out.write(template, i, dollar - i);
      i = dollar + 1;
      if (i < template.length && template[i] == '$') {
        out.write('$');
        i++;
        continue;
      }
      int[] ext = extract(template, i);
      if (ext == null) {
        out.write('$');
        continue;
      }
      int nameFrom = ext[0];
      int nameTo = ext[1];
      i = ext[2];
      String name = new String(template, nameFrom, nameTo - nameFrom, StandardCharsets.UTF_8);
      int num = number(name);
      int group = num >= 0 ? num : names.getOrDefault(name, -1);
      if (group >= 0 && group <= m.groupCount() && m.start(group) >= 0) {
        out.write(src, m.start(group), m.end(group) - m.start(group));
      }
    }
    if (i < template.length) {
      out.write(template, i, template.length - i);
    }
    return out.toByteArray();
  }

  private static int indexOf(byte[] b, byte x, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == x) {
        return i;
      }
    }
    return -1;
  }

  // {nameFrom, nameTo, rest} of the name after a '$' at t[i..], or null when malformed
  private static int[] extract(byte[] t, int i) {
    if (i >= t.length) {
      return null;
    }
    boolean brace = t[i] == '{';
    int from = brace ? i + 1 : i;
    int j = from;
    while (j < t.length) {
      int cp;
      int size;
      int b = t[j] & 0xff;
      if (b < 0x80) {
        cp = b;
        size = 1;
      } else {
        int[] dec = decodeUtf8(t, j);
        cp = dec[0];
        size = dec[1];
      }
      if (!Character.isLetter(cp) && !Character.isDigit(cp) && cp != '_') {
        break;
      }
      j += size;
    }
    if (j == from) {
      return null;
    }
    int nameTo = j;
    if (brace) {
      if (j >= t.length || t[j] != '}') {
        return null;
      }
      j++;
    }
    return new int[] {from, nameTo, j};
  }

  // one UTF-8 sequence at b[i]: {code point or U+FFFD, length}, as Go's DecodeRune
  private static int[] decodeUtf8(byte[] b, int i) {
    int c = b[i] & 0xff;
    int n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
    if (n == 0 || c > 0xf4 || i + n > b.length) {
      return new int[] {0xfffd, 1};
    }
    String s = new String(b, i, n, StandardCharsets.UTF_8);
    int cp = s.codePointAt(0);
    if (cp == 0xfffd || Character.charCount(cp) != s.length()) {
      return new int[] {0xfffd, 1};
    }
    return new int[] {cp, n};
  }

  // a group number as Go reads it: digits only, below 1e8, no leading zero; else -1
  private static int number(String name) {
    if (name.isEmpty() || (name.charAt(0) == '0' && name.length() > 1)) {
      return -1;
    }
    int num = 0;
    for (int k = 0; k < name.length(); k++) {
      char c = name.charAt(k);
      if (c < '0' || c > '9' || num >= 100_000_000) {
        return -1;
      }
      num = num * 10 + (c - '0');
    }
    return num;
  }

  /** Bytes as a quoted, escaped string for the debug page. */
  static String quote(byte[] b) {
    StringBuilder s = new StringBuilder("\"");
    for (byte x : b) {
      int c = x & 0xff;
      switch (c) {
        case '"' -> s.append("\\\"");
        case '\\' -> s.append("\\\\");
        case '\r' -> s.append("\\r");
        case '\n' -> s.append("\\n");
        case '\t' -> s.append("\\t");
        default -> {
          if (c < 0x20 || c >= 0x7f) {
            s.append(String.format(java.util.Locale.ROOT, "\\x%02x", c));
          } else {
            s.append((char) c);
          }
        }
      }
    }
    return s.append('"').toString();
  }

  static String quote(String s) {
    return quote(s.getBytes(StandardCharsets.UTF_8));
  }
}
