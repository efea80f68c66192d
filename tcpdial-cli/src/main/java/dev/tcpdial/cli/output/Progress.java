package dev.tcpdial.cli.output;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A one-line progress display on a terminal's stderr: bar, count, rate, ETA. Redrawn over itself
 * with a carriage return; the rest of a longer previous line is cleared with ESC[K, or with spaces
 * on a terminal that knows no escapes ({@code TERM=dumb} or unset).
 */
public final class Progress {
  private final PrintWriter err;
  private final boolean ansi;
  private int lastLength;
  private final java.util.function.LongSupplier total; // known, or read so far
  private final AtomicLong done;
  private final long start = System.nanoTime();
  private volatile boolean running;
  private Thread thread;
  private java.util.function.IntSupplier window; // the scan's window now, or null

  public Progress(PrintWriter err, java.util.function.LongSupplier total, AtomicLong done) {
    this(err, total, done, ansiTerminal(System.getenv("TERM")));
  }

  public Progress(PrintWriter err, java.util.function.LongSupplier total, AtomicLong done, boolean ansi) {
    this.ansi = ansi;
    this.err = err;
    this.total = total;
    this.done = done;
  }

  /**
   * Shows the scan's window (probes that may be in flight) read from {@code window} at each
   * redraw; returns this.
   */
  public Progress window(java.util.function.IntSupplier window) {
    this.window = window;
    return this;
  }

  public void start() {
    running = true;
    thread = Thread.ofPlatform().name("tcpdial-progress").daemon().start(() -> {
      while (running) {
        try {
          Thread.sleep(250);
        } catch (InterruptedException e) {
          return;
        }
        if (running) {
          draw();
        }
      }
    });
  }

  /** True for a terminal that takes ESC[K: TERM set, and not {@code dumb}. */
  public static boolean ansiTerminal(String term) {
    return term != null && !term.isEmpty() && !term.equals("dumb");
  }

  public synchronized void draw() {
    long d = done.get();
    long total = Math.max(this.total.getAsLong(), d);
    double secs = (System.nanoTime() - start) / 1e9;
    double rate = secs > 0 ? d / secs : 0;
    int width = 30;
    int filled = total == 0 ? width : (int) (width * d / total);
    String eta = rate > 0 ? formatSecs((total - d) / rate) : "?";
    String line = String.format(Locale.ROOT, "[%s%s] %d/%d %5.1f%% %.0f/s ETA %s",
        "#".repeat(filled), ".".repeat(width - filled), d, total, total == 0 ? 100.0 : 100.0 * d / total,
        rate, eta) + (window == null ? "" : " window " + window.getAsInt());
    err.print("\r" + line + clear(line.length()));
    lastLength = line.length();
    err.flush();
  }

  private static String formatSecs(double s) {
    long t = (long) Math.ceil(s);
    return t >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60)
        : String.format(Locale.ROOT, "%d:%02d", t / 60, t % 60);
  }

  public synchronized void stop() {
    running = false;
    if (thread != null) {
      thread.interrupt();
    }
    err.print(ansi ? "\r\u001b[K" : "\r" + " ".repeat(lastLength) + "\r");
    err.flush();
  }

  /** What clears the rest of the previous line after {@code length} characters. */
  private String clear(int length) {
    return ansi ? "\u001b[K" : " ".repeat(Math.max(0, lastLength - length));
  }
}
