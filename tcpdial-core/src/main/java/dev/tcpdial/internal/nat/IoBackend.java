package dev.tcpdial.internal.nat;

/**
 * The kernel interface under a {@link NativeLoop}: the few things epoll and io_uring do
 * differently. The loop keeps the slots, the deadlines, the self-connect rule and the naming of
 * outcomes; a backend starts a slot's connect, waits, and hands each answer back as {@link
 * NativeLoop#answered(int, int)}. Every method runs on the loop thread, except that the
 * constructors run on the thread that starts the loop.
 */
sealed interface IoBackend permits EpollBackend, UringBackend {
  /** User data of the loop's eventfd: a wake-up, not a probe. */
  long WAKE = -1L;

  /** Which one this is. */
  NativeLoop.Backend kind();

  /** The eventfd that {@link NativeLoop#execute} writes to wake the loop; the loop closes it. */
  int wakeFd();

  /** Why the kernel interface stopped a loop: the failed call's errno, and a line that names it. */
  record Stopped(int errno, String why) {}

  /** First thing on the loop thread; null, or why the loop cannot run. */
  Stopped begin();

  /**
   * Starts the connect of {@code slot}'s probe to the sockaddr {@code to} ({@code len} bytes of
   * {@code family}), its socket made with {@link NativeLoop#newSocket}. Returns the slot's handle
   * once the answer is the kernel's to give, or -1 when the probe ended already ({@link
   * NativeLoop#end} or {@link NativeLoop#connected} ran).
   */
  long connect(int slot, int family, int len, java.lang.foreign.MemorySegment to);

  /** The probe of {@code slot} ended while its connect was the kernel's: take it back. */
  void stopConnect(int slot);

  /**
   * Closes {@code s}, the socket of {@code slot}; {@code reset}: with {@code SO_LINGER} 0 first.
   * When the slot's connect was stopped ({@link #stopConnect}), this is that connect's socket: the
   * backend may hold it until the kernel is done with it. Other probes may have started and ended
   * in between (the completion runs between the two).
   */
  void close(int slot, int s, boolean reset);

  /**
   * Keeps {@code s}, a socket the kernel disconnected after a failed connect ({@code disposal}
   * {@link NativeLoop#KEEP4} or {@link NativeLoop#KEEP6}), for the next probe of its family;
   * false when it is not kept and must be closed.
   */
  boolean keep(int s, int disposal);

  /**
   * Hands what the kernel has to tell to the loop, waiting for it first up to {@code timeoutNanos}
   * (-1: until something happens; 0: not at all). Null, or why the kernel interface failed and the
   * loop must stop (its probes end {@code error} with that errno).
   */
  Stopped await(long timeoutNanos);

  /** The loop is stopping: from now on sockets are closed by system call, at once. */
  void stopping();

  /** Last thing on the loop thread: lets go of what it still holds, then of the kernel object. */
  void close();
}
