/**
 * tcpdial: TCP connects that say exactly why they failed.
 *
 * <p>A {@link dev.tcpdial.Dialer} connects to a {@link dev.tcpdial.Target} in {@link
 * dev.tcpdial.Mode#SYNC} (blocking, on the caller's thread) or {@link dev.tcpdial.Mode#ASYNC} (one
 * event-loop thread). Every dial ends in one {@link dev.tcpdial.Outcome} with the kernel's {@link
 * dev.tcpdial.Errno}, the same in both modes and in every locale, and records each {@link
 * dev.tcpdial.Attempt}. A failed {@code dial} throws {@link dev.tcpdial.DialException}; a {@code
 * probe} returns a {@link dev.tcpdial.DialResult}.
 */
package dev.tcpdial;
