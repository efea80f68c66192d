/**
 * The {@code tcpdial} command: {@link dev.tcpdial.cli.Main} and one class per subcommand ({@code
 * check}, {@code ping}, {@code scan}, {@code serve}, {@code demo}, {@code man}, {@code
 * completion}), with the option groups they share. What the commands share lives below, by role:
 * {@code targets} (arguments, files and stdin in), {@code output} (rows, formats and the writer
 * out), {@code process} (exit codes, signals, limits), {@code plot} and {@code report} (pictures).
 * No package below imports a command.
 */
package dev.tcpdial.cli;
