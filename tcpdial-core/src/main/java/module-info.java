/**
 * tcpdial: TCP connects, blocking or on an event loop, with every failure named exactly. The
 * exported package {@code dev.tcpdial} is the whole API; the engine lives in packages that are not
 * exported.
 */
module dev.tcpdial {
  requires jdk.jfr;

  exports dev.tcpdial;
}
