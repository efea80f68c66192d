/**
 * {@code tcpdial serve}: a Prometheus probe exporter, drop-in for blackbox_exporter's TCP probes,
 * that names why a connect failed. One handler per endpoint; the probe is a function from
 * (target, module, deadline) to metrics; the configuration is parsed once into immutable values
 * and swapped whole on reload.
 */
package dev.tcpdial.exporter;
