/**
 * The native probe engine: non-blocking TCP connects through the foreign-function API
 * ({@code java.lang.foreign}) on Linux x86_64 and aarch64, with no JNI and nothing to build.
 *
 * <h2>Layers</h2>
 *
 * <ul>
 *   <li>{@link dev.tcpdial.internal.nat.Abi}: constants and struct layouts ({@code sockaddr_in} 16
 *       bytes, {@code sockaddr_in6} 28, {@code epoll_event} 12 packed on x86_64 and 16 on aarch64).
 *   <li>{@code Sys}: downcall handles; {@code errno} is captured with {@code
 *       Linker.Option.captureCallState("errno")}, never read from a thread-local afterwards. Calls
 *       that cannot block are linked {@code critical}. Linking takes a while once per JVM, so a
 *       dialer that picks the native engine links (and calls each function once on a socket that
 *       never connects) on a background thread; whether the engine may run at all (Linux, the
 *       architecture, native access) is known without linking.
 *   <li>{@link dev.tcpdial.internal.nat.NativeLoop}: one thread, an {@code eventfd} to wake it,
 *       and every probe as a slot in primitive arrays with a deadline heap ({@code SlotHeap}) over
 *       them. The loop owns what both kernel interfaces share: the slots, the deadlines, the
 *       turn, the socket and its options, the naming of an answer, the self-connect rule, the end
 *       of a probe and the shutdown. This is the bulk API.
 *   <li>{@code IoBackend}, sealed, with two implementations ({@link
 *       dev.tcpdial.internal.nat.NativeLoop.Backend} names them): {@code EpollBackend}, one
 *       {@code epoll} instance ({@code EPOLL_CLOEXEC}) and the kept sockets of failed connects,
 *       and {@code UringBackend}, one {@code io_uring} ({@code Ring}: set up, entered and
 *       registered by {@code syscall(2)}, its rings mapped as memory segments). A backend starts a
 *       slot's connect, stops it, closes a socket, and waits for the kernel's answers, which it
 *       hands to the loop as (slot, errno); nothing else differs.
 *   <li>{@code NativeDial} and {@link dev.tcpdial.internal.nat.NativeProbes}: what {@link
 *       dev.tcpdial.Dialer#probe} runs when the engine is native: the same {@link
 *       dev.tcpdial.internal.Race} as the JDK engine (Happy Eyeballs, deadline, retries) with its
 *       attempts as native slots; a literal single address with no retries skips the race.
 * </ul>
 *
 * <h2>The bulk API</h2>
 *
 * <pre>{@code
 * NativeLoop loop = NativeLoop.start("scan", NativeLoop.Options.DEFAULT, Clock.SYSTEM);
 * NativeLoop.Completion done = (cookie, outcome, errno, elapsedNanos) -> record(cookie, outcome, errno);
 * loop.execute(() -> {                      // submit runs on the loop thread only
 *   long deadline = loop.clock().nanoTime() + 2_000_000_000L;
 *   long handle = loop.submit(address, port, deadline, targetIndex, done);  // -1: ended already
 * });
 * ...
 * loop.close();                             // what is still in flight ends cancelled
 * }</pre>
 *
 * <ul>
 *   <li>{@code submit(address, port, deadlineNanos, cookie, completion)} (or {@code submit4} with an
 *       IPv4 address as an int, allocating nothing) opens a socket ({@code SOCK_NONBLOCK |
 *       SOCK_CLOEXEC}), applies the loop's {@link dev.tcpdial.internal.nat.NativeLoop.Options}
 *       ({@code TCP_SYNCNT}, {@code TCP_USER_TIMEOUT}, {@code IP_BIND_ADDRESS_NO_PORT} and {@code
 *       bind} for a source address) and starts the connect. After {@code EINPROGRESS} it calls
 *       {@code connect} once more: {@code EALREADY} leaves the answer to epoll, 0 means connected,
 *       any other errno is the answer (on loopback it usually is in by then), and that failed
 *       second call also disconnects the socket, so the loop keeps it (at most 4 per family, only
 *       while probes run, never with a source address) for the next probe instead of a new one.
 *       It returns a handle for {@code cancel(handle)}, or -1 when the probe ended at once (a
 *       local failure, or an immediate answer): its completion has then already run, inside
 *       {@code submit}. Completions that start probes which end at once nest at most 8 deep;
 *       past that a probe waits for epoll.
 *   <li>Malformed input (a null or unresolved address, a port outside 1..65535, a call off the loop
 *       thread) throws before any system call; everything after is a value.
 *   <li>The completion runs on the loop thread with {@code (cookie, outcome, errno, elapsedNanos)}:
 *       the outcome as {@link dev.tcpdial.internal.Errnos#outcomeOf(int)} names the errno ({@code
 *       connected}, {@code refused}, {@code timeout}, ...), {@code errno} 0 when the kernel gave none
 *       ({@code connected}; {@code timeout} because {@code deadlineNanos} passed; {@code cancelled}
 *       because the loop closed). The socket is still open while it runs: {@code
 *       loop.localAddress()} reads its local address then, on demand. It must not block; it may
 *       submit or cancel other probes.
 *   <li>{@code cancel(handle)} closes the socket and frees the slot without calling the completion;
 *       false when the probe had ended already (handles carry a generation, so a stale one never
 *       hits a reused slot).
 *   <li>Sockets that reached the far side (connected) or were stopped by a deadline or a cancel are
 *       closed with {@code SO_LINGER} 0 ({@link
 *       dev.tcpdial.internal.nat.NativeLoop.Options#resetOnClose()}, the default): a reset, no
 *       {@code TIME_WAIT}, local ports free at once. A socket whose connect failed is just closed.
 *   <li>Cost: about 41 bytes of Java heap per slot (arrays grow by half when full and never
 *       shrink) plus the kernel's socket; a probe in flight holds one file descriptor, so the
 *       process's {@code RLIMIT_NOFILE} bounds the probes in flight ({@code EMFILE} ends a probe as
 *       {@code local_resources}).
 *   <li>{@code execute(task)} is the only method for other threads; the loop's {@code timers()}
 *       ({@link dev.tcpdial.internal.TimerQueue}) carry other deadlines, such as a race's.
 * </ul>
 */
package dev.tcpdial.internal.nat;
