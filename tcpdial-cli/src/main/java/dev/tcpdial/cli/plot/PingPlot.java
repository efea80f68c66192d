package dev.tcpdial.cli.plot;

import dev.tcpdial.DialResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jline.terminal.Attributes;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.AttributedCharSequence;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStringBuilder;
import org.jline.utils.InfoCmp.Capability;
import org.jline.utils.NonBlockingReader;
import org.jline.utils.Signals;

/**
 * The live chart of {@code tcpdial ping --plot}: the terminal's alternate screen, redrawn in place
 * (only what changed) when a result arrives, every quarter second and at once on a resize.
 * JLine gives the size, raw mode, the capabilities and the encoding; {@link ChartRenderer} draws.
 *
 * <p>The terminal is restored (attributes, cursor, main screen) by {@link #close}, which the ping
 * command calls on every way out, Ctrl-C included, and by a shutdown hook should the JVM end
 * otherwise. Ctrl-C stays a signal (raw mode keeps ISIG), so the command's own handler stops the
 * run and prints the statistics; {@code q} does the same.
 */
public final class PingPlot implements PingSink {
  /** Smallest terminal on which the chart is the default. */
  public static final int DEFAULT_MIN_WIDTH = 60;

  /** Smallest terminal height on which the chart is the default. */
  public static final int DEFAULT_MIN_HEIGHT = 16;

  private final Terminal terminal;
  private final int colours;
  private String[] shown = new String[0];
  private final PingHistory history;
  private final ChartRenderer.Style style;
  private final Runnable onQuit;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Object lock = new Object();
  private final Thread drawer;
  private final Thread keys;
  private final Thread hook;
  private Object winch;
  private Attributes saved;
  private boolean dirty = true;
  private Size size;
  private volatile boolean onScreen;

  private PingPlot(Terminal terminal, List<String> names, Duration interval, String title,
      boolean noColour, Runnable onQuit) {
    this.terminal = terminal;
    this.onQuit = onQuit;
    this.history = new PingHistory(names, interval);
    boolean symbols = canDraw(terminal.outputEncoding());
    Integer max = terminal.getNumericCapability(Capability.max_colors);
    int colours = max == null ? 1 : max;
    this.style = new ChartRenderer.Style(!noColour && colours >= 8, symbols,
        ZoneId.systemDefault(), title);
    this.colours = style.colour() ? colours : 1;
    this.hook = new Thread(this::restore, "tcpdial-plot-restore");
    this.drawer = Thread.ofPlatform().daemon().name("tcpdial-plot").unstarted(this::drawLoop);
    this.keys = Thread.ofPlatform().daemon().name("tcpdial-plot-keys").unstarted(this::keyLoop);
  }

  /**
   * Opens the chart on the terminal of descriptor 1 (where the caller put the results' terminal;
   * see {@code Stdout.resultsOnDescriptor1}), or returns {@code null} where it cannot be drawn
   * (no capable terminal; smaller than {@link #DEFAULT_MIN_WIDTH} x {@link #DEFAULT_MIN_HEIGHT}
   * unless {@code required}).
   *
   * @param names the targets, one series each
   * @param interval the time between two probes of one target: one column
   * @param title the first line
   * @param required asked for with {@code --plot}: drawn at any size (a message when too small)
   * @param onQuit called when the user presses {@code q}
   * @return the chart, on the screen from {@link #begin} on, or {@code null}
   * @throws IllegalStateException with a one-line reason when {@code required} and impossible
   */
  public static PingPlot open(List<String> names, Duration interval, String title,
      boolean required, Runnable onQuit) {
    String term = System.getenv("TERM");
    if (term == null || term.isEmpty() || term.equals("dumb")) {
      return refuse(required, "the terminal (TERM=" + term + ") cannot draw the chart");
    }
    Terminal t;
    try {
      // the locale's charset, for writing and for choosing symbols or ASCII alike (JLine's own
      // default is UTF-8 whatever the locale: under LC_ALL=C every symbol came out as '?');
      // only descriptor 1, where the caller put the results' terminal, is drawn on
      Charset cs = localeCharset();
      t = TerminalBuilder.builder().system(true).dumb(false).nativeSignals(false)
          .systemOutput(TerminalBuilder.SystemOutput.SysOut)
          .encoding(cs).stdinEncoding(cs).stdoutEncoding(cs)
          .signalHandler(Terminal.SignalHandler.SIG_IGN).build();
    } catch (IOException | RuntimeException e) {
      return refuse(required, "no terminal to draw on: " + e.getMessage());
    }
    if (t.getType().startsWith("dumb") || t.getStringCapability(Capability.cursor_address) == null) {
      closeQuietly(t);
      return refuse(required, "the terminal (" + t.getType() + ") cannot move the cursor");
    }
    Size s = t.getSize();
    if (!required && (s.getColumns() < DEFAULT_MIN_WIDTH || s.getRows() < DEFAULT_MIN_HEIGHT)) {
      closeQuietly(t);
      return null;
    }
    String noColour = System.getenv("NO_COLOR");
    return new PingPlot(t, names, interval, title, noColour != null && !noColour.isEmpty(), onQuit);
  }

  /** Every character the chart draws beyond ASCII. */
  private static final String SYMBOLS = "●◆▲■✚★░│┤└┬─";

  /**
   * Whether the chart's symbols can be written in {@code charset}, the terminal's: else it draws
   * its ASCII fallback (an encoder would write {@code ?} for each symbol it cannot encode).
   *
   * @param charset the charset the terminal is written in
   * @return true when every symbol of the chart can be encoded
   */
  static boolean canDraw(Charset charset) {
    return charset != null && charset.canEncode() && charset.newEncoder().canEncode(SYMBOLS);
  }

  /**
   * The terminal's charset: the locale's ({@code LC_ALL}, {@code LC_CTYPE}, {@code LANG}, as
   * the JVM read it at start into {@code native.encoding}); UTF-8 when the JVM does not say.
   */
  static Charset localeCharset() {
    String name = System.getProperty("native.encoding");
    try {
      return name == null ? StandardCharsets.UTF_8 : Charset.forName(name);
    } catch (IllegalArgumentException e) {
      return StandardCharsets.US_ASCII; // a charset the JDK cannot write: keep to ASCII
    }
  }

  private static PingPlot refuse(boolean required, String why) {
    if (required) {
      throw new IllegalStateException("--plot: " + why + "; use --no-plot");
    }
    return null;
  }

  private static void closeQuietly(Terminal t) {
    try {
      t.close();
    } catch (IOException e) {
      // nothing was changed on it
    }
  }

  /**
   * Takes the terminal: raw mode (keys are not echoed; Ctrl-C stays a signal), the alternate
   * screen, no cursor; the first column of the chart is {@code start}.
   */
  @Override
  public void begin(Instant start) {
    history.begin(start);
    synchronized (terminal) {
      if (closed.get() || onScreen) {
        return;
      }
      saved = terminal.enterRawMode();
      Runtime.getRuntime().addShutdownHook(hook);
      onScreen = true;
      terminal.puts(Capability.enter_ca_mode);
      terminal.puts(Capability.keypad_xmit);
      terminal.puts(Capability.cursor_invisible);
      terminal.flush();
      size = null; // the first frame clears the screen
      winch = Signals.register("WINCH", this::wake);
    }
    drawer.start();
    keys.start();
  }

  /**
   * A writer for the command's text rows: they are dropped while the chart is on the screen (it
   * is their view) and written to {@code out} before and after (the statistics).
   *
   * @param out where the rows go while the chart is not on the screen
   * @return a writer whose flush and close only flush {@code out}: it stays open
   */
  public PrintWriter rows(PrintWriter out) {
    return new PrintWriter(new Writer() {
      @Override
      public void write(char[] buf, int off, int len) {
        if (!onScreen) {
          out.write(buf, off, len);
        }
      }

      @Override
      public void flush() {
        out.flush();
      }

      @Override
      public void close() {
        out.flush();
      }
    });
  }

  @Override
  public void result(int index, long seq, Instant started, DialResult result, Figures figures) {
    history.add(index, started, result, figures);
    wake();
  }

  private void wake() {
    synchronized (lock) {
      dirty = true;
      lock.notifyAll();
    }
  }

  private void drawLoop() {
    while (!closed.get()) {
      synchronized (lock) {
        if (!dirty) {
          try {
            lock.wait(250);
          } catch (InterruptedException e) {
            return;
          }
        }
        dirty = false;
      }
      if (closed.get()) {
        return;
      }
      try {
        draw();
        Thread.sleep(40); // at most 25 frames a second
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // a terminal gone away: the run goes on, the statistics come at the end
      }
    }
  }

  private void draw() {
    synchronized (terminal) {
      if (closed.get()) {
        return;
      }
      Size now = terminal.getSize();
      if (now.getRows() <= 0 || now.getColumns() <= 0) {
        return;
      }
      if (!now.equals(size)) {
        size = now;
        shown = new String[now.getRows()];
        terminal.puts(Capability.clear_screen);
      }
      List<AttributedString> lines = ChartRenderer.render(history.snapshot(), size.getColumns(),
          size.getRows(), System.currentTimeMillis(), style);
      // Only the lines that changed are rewritten.
      PrintWriter w = terminal.writer();
      for (int r = 0; r < lines.size() && r < shown.length; r++) {
        String ansi = ansi(lines.get(r), colours);
        if (!ansi.equals(shown[r])) {
          terminal.puts(Capability.cursor_address, r, 0);
          w.write(ansi);
          terminal.puts(Capability.clr_eol);
          shown[r] = ansi;
        }
      }
      terminal.flush();
    }
  }

  private static final char PRIVATE_USE = '\uE000';

  /**
   * The line with its styles as ANSI sequences, box-drawing characters as they are in UTF-8:
   * JLine alone writes them through the VT100 line-drawing set or as ASCII ({@code + | -}); here
   * they pass through toAnsi as private-use characters and are put back after.
   */
  static String ansi(AttributedString line, int colours) {
    AttributedStringBuilder b = new AttributedStringBuilder(line.length());
    boolean boxes = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      boolean box = c >= '\u2500' && c <= '\u257F';
      boxes |= box;
      b.style(line.styleAt(i)).append(box ? (char) (PRIVATE_USE + (c - '\u2500')) : c);
    }
    String ansi = b.toAttributedString().toAnsi(colours, AttributedCharSequence.ForceMode.None,
        null, null, null);
    if (!boxes) {
      return ansi;
    }
    char[] cs = ansi.toCharArray();
    for (int i = 0; i < cs.length; i++) {
      if (cs[i] >= PRIVATE_USE && cs[i] <= PRIVATE_USE + 0x7F) {
        cs[i] = (char) ('\u2500' + (cs[i] - PRIVATE_USE));
      }
    }
    return new String(cs);
  }

  private void keyLoop() {
    NonBlockingReader in = terminal.reader();
    while (!closed.get()) {
      try {
        int c = in.read(100);
        if (c == 'q' || c == 'Q' || c == 3) { // 3: Ctrl-C, should the terminal deliver it as a key
          onQuit.run();
          return;
        }
        if (c == 12) { // Ctrl-L: redraw everything
          synchronized (terminal) {
            size = null;
          }
          wake();
        }
        if (c == NonBlockingReader.EOF) {
          return;
        }
      } catch (IOException | UncheckedIOException e) {
        return;
      }
    }
  }

  /** Leaves the chart: the terminal back as it was, the cursor shown, the main screen back. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    wake();
    boolean started = drawer.isAlive() || keys.isAlive() || onScreen;
    try {
      if (drawer.isAlive()) {
        drawer.join(1000);
      }
      if (keys.isAlive()) {
        keys.join(500);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (started) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException | IllegalArgumentException e) {
        // shutting down (the hook restores) or never added
      }
    }
    restore();
  }

  private void restore() {
    closed.set(true);
    synchronized (terminal) {
      try {
        if (!onScreen) {
          terminal.close();
          return;
        }
        onScreen = false;
        if (winch != null) {
          Signals.unregister("WINCH", winch);
        }
        terminal.puts(Capability.cursor_visible);
        terminal.puts(Capability.keypad_local);
        terminal.puts(Capability.exit_ca_mode);
        terminal.flush();
        terminal.setAttributes(saved);
        terminal.close();
      } catch (IOException | RuntimeException e) {
        // restored as far as the terminal let us
      }
    }
  }
}
