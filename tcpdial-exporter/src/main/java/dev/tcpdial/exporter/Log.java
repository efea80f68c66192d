package dev.tcpdial.exporter;

import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The exporter's log, one event a line, in the Prometheus exporters' two formats ({@code
 * --log.format}): logfmt, {@code ts=2026-12-04T10:00:00.123Z level=info msg="listening on
 * 127.0.0.1:9115" key=value}, or JSON, {@code {"ts":"...","level":"info","msg":"...","key":"value"}}.
 * Events below the level ({@code --log.level}) are dropped before they are formatted.
 */
public final class Log {
  /** How much is logged, least first. */
  public enum Level {
    /** Per-request detail: denied targets and their addresses, cancelled probes, TLS failures. */
    DEBUG,
    /** Start, reloads, stop. */
    INFO,
    /** Something was refused or did not work but the exporter goes on. */
    WARN,
    /** A failed reload, a broken web configuration. */
    ERROR;

    /**
     * The level for {@code --log.level}'s value.
     *
     * @param name debug, info, warn or error (any case)
     * @return the level
     * @throws IllegalArgumentException for another name (one line)
     */
    public static Level parse(String name) {
      return switch (name.strip().toLowerCase(Locale.ROOT)) {
        case "debug" -> DEBUG;
        case "info" -> INFO;
        case "warn" -> WARN;
        case "error" -> ERROR;
        default -> throw new IllegalArgumentException("'" + name
            + "': one of debug, info, warn, error");
      };
    }

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The line format. */
  public enum Format {
    /** {@code key=value} pairs, values quoted when they need it. */
    LOGFMT,
    /** One JSON object a line. */
    JSON;

    /**
     * The format for {@code --log.format}'s value.
     *
     * @param name logfmt or json (any case)
     * @return the format
     * @throws IllegalArgumentException for another name (one line)
     */
    public static Format parse(String name) {
      return switch (name.strip().toLowerCase(Locale.ROOT)) {
        case "logfmt" -> LOGFMT;
        case "json" -> JSON;
        default -> throw new IllegalArgumentException("'" + name + "': logfmt or json");
      };
    }
  }

  private static final DateTimeFormatter TS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private final PrintWriter out;
  private final Level level;
  private final Format format;

  /**
   * A log writing to {@code out}.
   *
   * @param out where lines go (flushed after each)
   * @param level the least level written
   * @param format the line format
   */
  public Log(PrintWriter out, Level level, Format format) {
    this.out = out;
    this.level = level;
    this.format = format;
  }

  /**
   * Whether events of {@code l} are written.
   *
   * @param l a level
   * @return true when {@code l} is at or above this log's level
   */
  public boolean enabled(Level l) {
    return l.compareTo(level) >= 0;
  }

  /**
   * Writes one event.
   *
   * @param l its level
   * @param msg the message (line breaks become spaces)
   * @param keyValues further fields: key, value, key, value...
   */
  public void log(Level l, String msg, Object... keyValues) {
    if (!enabled(l)) {
      return;
    }
    StringBuilder b = new StringBuilder(128);
    String ts = TS.format(Instant.now());
    if (format == Format.JSON) {
      b.append("{\"ts\":\"").append(ts).append("\",\"level\":\"").append(l.label())
          .append("\",\"msg\":");
      json(b, Config.oneLine(msg));
      for (int i = 0; i + 1 < keyValues.length; i += 2) {
        b.append(',');
        json(b, String.valueOf(keyValues[i]));
        b.append(':');
        json(b, Config.oneLine(String.valueOf(keyValues[i + 1])));
      }
      b.append('}');
    } else {
      b.append("ts=").append(ts).append(" level=").append(l.label()).append(" msg=");
      logfmt(b, Config.oneLine(msg));
      for (int i = 0; i + 1 < keyValues.length; i += 2) {
        b.append(' ').append(keyValues[i]).append('=');
        logfmt(b, Config.oneLine(String.valueOf(keyValues[i + 1])));
      }
    }
    synchronized (out) {
      out.println(b);
      out.flush();
    }
  }

  /**
   * An event at {@link Level#DEBUG}.
   *
   * @param msg the message
   * @param keyValues key, value, ...
   */
  public void debug(String msg, Object... keyValues) {
    log(Level.DEBUG, msg, keyValues);
  }

  /**
   * An event at {@link Level#INFO}.
   *
   * @param msg the message
   * @param keyValues key, value, ...
   */
  public void info(String msg, Object... keyValues) {
    log(Level.INFO, msg, keyValues);
  }

  /**
   * An event at {@link Level#WARN}.
   *
   * @param msg the message
   * @param keyValues key, value, ...
   */
  public void warn(String msg, Object... keyValues) {
    log(Level.WARN, msg, keyValues);
  }

  /**
   * An event at {@link Level#ERROR}.
   *
   * @param msg the message
   * @param keyValues key, value, ...
   */
  public void error(String msg, Object... keyValues) {
    log(Level.ERROR, msg, keyValues);
  }

  /** A logfmt value: bare when it has no space, quote, '=' or control character; else quoted. */
  static void logfmt(StringBuilder b, String v) {
    boolean quote = v.isEmpty();
    for (int i = 0; i < v.length() && !quote; i++) {
      char c = v.charAt(i);
      quote = c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f;
    }
    if (!quote) {
      b.append(v);
      return;
    }
    b.append('"');
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < ' ' || c == 0x7f) {
            b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }

  static void json(StringBuilder b, String v) {
    b.append('"');
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < ' ' || c == 0x7f || c == 0x2028 || c == 0x2029) {
            b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }
}
