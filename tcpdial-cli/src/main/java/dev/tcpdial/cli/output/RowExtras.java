package dev.tcpdial.cli.output;

import java.util.List;

/**
 * What a command knows about a row beyond the connect (the TLS stage, the dialogue), written by
 * {@link Report} after the connect's columns in every format: the same row, more columns.
 */
public interface RowExtras {
  /**
   * The CSV columns' names, after the connect's.
   *
   * @return the names
   */
  List<String> csvHeader();

  /**
   * The CSV values for {@code row}, as many as {@link #csvHeader()} names.
   *
   * @param row the row
   * @return the values, unescaped
   */
  List<String> csv(Row row);

  /**
   * Appends JSON members for {@code row}, each starting with a comma, to the row's object.
   *
   * @param sb the object being written, before its closing brace
   * @param row the row
   */
  void json(StringBuilder sb, Row row);

  /**
   * The text after the connect's columns on the row's line.
   *
   * @param row the row
   * @return the text, or empty
   */
  String text(Row row);

  /**
   * Lines under the row with {@code -v}.
   *
   * @param row the row
   * @return the lines, without indentation
   */
  List<String> verbose(Row row);
}
