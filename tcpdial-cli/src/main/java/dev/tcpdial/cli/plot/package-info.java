/**
 * The live ping chart: a model of the probes' results over time ({@link
 * dev.tcpdial.cli.plot.PingHistory}), a pure renderer of it to terminal lines ({@link
 * dev.tcpdial.cli.plot.ChartRenderer}) and the terminal view that redraws it in place ({@link
 * dev.tcpdial.cli.plot.PingPlot}). Fed by the same {@code DialResult} values as the text output.
 */
package dev.tcpdial.cli.plot;
