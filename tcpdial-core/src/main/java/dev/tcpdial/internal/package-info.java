/**
 * The engine, not exported: {@code Race} decides (Happy Eyeballs, deadline, retries) without
 * threads or clocks of its own; {@code SyncDial} and {@code AsyncDial} carry its decisions out on the
 * caller's thread or on the {@code EventLoop}, and {@code RaceDriver} feeds it on a loop's thread (the
 * JDK's and the native one's alike); {@code JdkConnect} is one attempt; {@code Errnos} is
 * the one place where errno numbers, JDK exceptions and outcomes meet.
 */
package dev.tcpdial.internal;
