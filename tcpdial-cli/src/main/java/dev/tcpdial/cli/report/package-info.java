/**
 * Self-contained HTML reports of a scan ({@link dev.tcpdial.cli.report.ScanReport}) and of a ping
 * run ({@link dev.tcpdial.cli.report.PingReport}): one file each, styles and scripts inline, the
 * charts inline SVG written here, nothing loaded from anywhere when opened. Both aggregate as the
 * results come and keep a bounded amount of them, whatever the size of the run.
 */
package dev.tcpdial.cli.report;
