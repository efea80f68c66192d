/**
 * The process: exit codes, one-line failure messages, signals (SIGINT, SIGTERM), descriptor
 * limits and the loading of the tool's own classes before a long command dials.
 */
package dev.tcpdial.cli.process;
