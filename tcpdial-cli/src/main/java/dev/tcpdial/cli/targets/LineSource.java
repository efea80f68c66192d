package dev.tcpdial.cli.targets;

import dev.tcpdial.cli.process.Messages;
import dev.tcpdial.cli.process.UsageException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * The target lines of a file or of stdin, one at a time: UTF-8 (a byte-order mark at the start is
 * skipped), {@code #} comments and blank lines dropped, a line at most {@link #MAX_LINE} bytes.
 * Holds one line and a read buffer; a pipe is read by a thread of its own, at most
 * {@link #QUEUED} lines ahead, so the scan dials lines as they arrive and an interrupt is not
 * stuck in a read. Errors quote no more than the offending token, never a whole line.
 *
 * <p>A line that cannot be a target (not UTF-8, too long) is a {@link Line} with an {@link
 * Line#error() error}: the reader skips it and goes on; only a failed read ends the source.
 */
public final class LineSource {
  /**
   * One line: its text without the comment, and its number (from 1); or, for a line that is no
   * text, why (then {@code text} is null).
   */
  record Line(String text, long number, String error) {
    Line(String text, long number) {
      this(text, number, null);
    }
  }

  /** The longest line taken, in bytes; a target is never longer than a few hundred. */
  static final int MAX_LINE = 4096;
  /** Lines a pipe's reader thread may read ahead of the scan. */
  static final int QUEUED = 1024;

  private final InputStream in;
  private final String name;
  private final byte[] buf = new byte[65536];
  private int pos;
  private int end;
  private long number;
  private boolean eof;
  private final byte[] line = new byte[MAX_LINE];
  private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
  private BlockingQueue<Object> queue; // a pipe's lines, read ahead: Line, UsageException or END
  private static final Object END = new Object();

  private LineSource(InputStream in, String name) {
    this.in = in;
    this.name = name;
  }

  /** Lines read on the caller's thread, as they are asked for (a regular file). */
  public static LineSource direct(InputStream in, String name) {
    return new LineSource(in, name);
  }

  /** Lines read ahead by a daemon thread (a pipe or a terminal): the caller never blocks in read. */
  public static LineSource readAhead(InputStream in, String name) {
    LineSource s = new LineSource(in, name);
    s.queue = new ArrayBlockingQueue<>(QUEUED);
    Thread.ofPlatform().name("tcpdial-read-" + name).daemon().start(() -> {
      try {
        Line l;
        while ((l = s.read()) != null) {
          s.queue.put(l);
        }
        s.queue.put(END);
      } catch (UsageException e) {
        s.queue.offer(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    return s;
  }

  String name() {
    return name;
  }

  /**
   * The next line with a target, or null at the end (or when the calling thread is interrupted
   * while it waits for a pipe: its interrupt flag is set again).
   *
   * @throws UsageException for a read error (a line that is no text comes as a {@link Line}
   *     with its error)
   */
  Line next() {
    if (queue == null) {
      return read();
    }
    Object o;
    try {
      o = queue.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
    if (o == END) {
      queue.offer(END);
      return null;
    }
    if (o instanceof UsageException u) {
      queue.offer(u);
      throw u;
    }
    return (Line) o;
  }

  private Line read() {
    while (true) {
      int len = 0;
      boolean tooLong = false;
      boolean any = false;
      while (true) {
        if (pos == end && !fill()) {
          break;
        }
        any = true;
        byte b = buf[pos++];
        if (b == '\n') {
          break;
        }
        if (len < MAX_LINE) {
          line[len++] = b;
        } else {
          tooLong = true;
        }
      }
      if (!any) {
        return null;
      }
      number++;
      String where = name + ":" + number;
      int from = 0;
      if (number == 1 && len >= 3 && (line[0] & 0xff) == 0xef && (line[1] & 0xff) == 0xbb
          && (line[2] & 0xff) == 0xbf) {
        from = 3; // a UTF-8 byte-order mark
      }
      if (len > from && line[len - 1] == '\r') {
        len--;
      }
      if (tooLong) {
        return new Line(null, number, where + ": line longer than " + MAX_LINE
            + " bytes (one target per line)");
      }
      String text;
      try {
        text = utf8.reset().decode(ByteBuffer.wrap(line, from, len - from)).toString();
      } catch (CharacterCodingException e) {
        return new Line(null, number, where + ": not UTF-8 text (byte 0x"
            + String.format("%02x", line[firstBad(from, len)] & 0xff) + " at column "
            + (firstBad(from, len) - from + 1) + "); target files are UTF-8");
      }
      int hash = text.indexOf('#');
      String s = (hash >= 0 ? text.substring(0, hash) : text).strip();
      if (!s.isEmpty()) {
        return new Line(s, number);
      }
    }
  }

  private int firstBad(int from, int len) {
    CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(line, from, len - from);
    CharBuffer out = CharBuffer.allocate(len);
    d.decode(in, out, true);
    return Math.min(in.position(), len - 1);
  }

  private boolean fill() {
    if (eof) {
      return false;
    }
    try {
      int n = in.read(buf);
      if (n <= 0) {
        eof = true;
        return false;
      }
      pos = 0;
      end = n;
      return true;
    } catch (IOException e) {
      throw new UsageException(name + ": cannot read: " + Messages.message(e));
    }
  }
}
