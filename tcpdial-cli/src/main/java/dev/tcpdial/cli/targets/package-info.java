/**
 * Everything that turns arguments, files and stdin into targets: {@code host:port} and range
 * syntax, port lists, exclusions, streamed target files, the type converters of the options, and
 * the loopback targets of the demo.
 */
package dev.tcpdial.cli.targets;
