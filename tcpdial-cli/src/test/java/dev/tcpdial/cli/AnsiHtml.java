package dev.tcpdial.cli;

/**
 * A terminal screen captured with its SGR sequences ({@code tmux capture-pane -e}) as an HTML
 * page of coloured spans, so a browser can take a picture of what the terminal showed.
 */
final class AnsiHtml {
  private AnsiHtml() {}

  private static final String[] BASIC = {"#2e3436", "#ef2929", "#4e9a06", "#c4a000", "#3465a4",
      "#ad7fa8", "#06989a", "#d3d7cf"};
  private static final String[] BRIGHT = {"#555753", "#ff6b6b", "#8ae234", "#fce94f", "#729fcf",
      "#d6a8d1", "#34e2e2", "#eeeeec"};

  static String page(String ansi, String title) {
    StringBuilder sb = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>")
        .append(title).append("</title><style>body{margin:0;background:#1e1e1e}"
            + "pre{margin:0;padding:10px 12px;color:#d3d7cf;font:14px/1.2 'DejaVu Sans Mono',"
            + "monospace}</style></head><body><pre>");
    String fg = null;
    boolean bold = false;
    boolean faint = false;
    boolean under = false;
    boolean open = false;
    for (int i = 0; i < ansi.length(); i++) {
      char c = ansi.charAt(i);
      if (c == 0x1b && i + 1 < ansi.length() && ansi.charAt(i + 1) == '[') {
        int end = i + 2;
        while (end < ansi.length() && !Character.isLetter(ansi.charAt(end))) {
          end++;
        }
        if (end < ansi.length() && ansi.charAt(end) == 'm') {
          String[] ps = ansi.substring(i + 2, end).split(";", -1);
          for (int k = 0; k < ps.length; k++) {
            int p = ps[k].isEmpty() ? 0 : Integer.parseInt(ps[k]);
            if (p == 0) {
              fg = null;
              bold = faint = under = false;
            } else if (p == 1) {
              bold = true;
            } else if (p == 2) {
              faint = true;
            } else if (p == 4) {
              under = true;
            } else if (p == 22) {
              bold = faint = false;
            } else if (p == 24) {
              under = false;
            } else if (p >= 30 && p <= 37) {
              fg = BASIC[p - 30];
            } else if (p >= 90 && p <= 97) {
              fg = BRIGHT[p - 90];
            } else if (p == 39) {
              fg = null;
            } else if (p == 38 && k + 2 < ps.length && ps[k + 1].equals("5")) {
              int n = Integer.parseInt(ps[k + 2]);
              fg = n < 8 ? BASIC[n] : n < 16 ? BRIGHT[n - 8] : "#d3d7cf";
              k += 2;
            }
          }
          if (open) {
            sb.append("</span>");
          }
          int basic = java.util.Arrays.asList(BASIC).indexOf(fg);
          String effective = bold && basic >= 0 ? BRIGHT[basic] : fg; // bold: the bright colour
          sb.append("<span style=\"").append(effective != null ? "color:" + effective + ";" : "")
              .append(bold ? "font-weight:bold;" : "").append(faint ? "opacity:.6;" : "")
              .append(under ? "text-decoration:underline;" : "").append("\">");
          open = true;
        }
        i = end;
        continue;
      }
      switch (c) {
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '&' -> sb.append("&amp;");
        default -> sb.append(c);
      }
    }
    if (open) {
      sb.append("</span>");
    }
    return sb.append("</pre></body></html>\n").toString();
  }
}
