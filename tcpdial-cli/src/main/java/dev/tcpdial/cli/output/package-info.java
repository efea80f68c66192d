/**
 * Rows out: the row, its text, JSON and CSV formats, the writer on standard output, the summary,
 * ping's statistics, the progress line and what the terminal can show.
 */
package dev.tcpdial.cli.output;
