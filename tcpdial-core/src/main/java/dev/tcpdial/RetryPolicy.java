package dev.tcpdial;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * When a failed dial is tried again: at most {@link #maxRetries()} more rounds over the addresses,
 * each after an exponential backoff with full jitter, only for outcomes worth retrying, and never
 * past the dial's deadline.
 *
 * <p>By default {@code timeout} is retried at once after the backoff, {@code no_local_address} and
 * {@code local_resources} after at least the base delay (the machine needs a moment to free ports
 * or descriptors); {@code refused} only when asked ({@link #retryingRefused()}); {@code prohibited}
 * never: a policy does not change by asking again.
 */
public final class RetryPolicy {

  private static final Set<Outcome> DEFAULT_ON =
      EnumSet.of(Outcome.TIMEOUT, Outcome.NO_LOCAL_ADDRESS, Outcome.LOCAL_RESOURCES);
  private static final RetryPolicy NONE =
      new RetryPolicy(0, Duration.ofMillis(100), Duration.ofSeconds(2), DEFAULT_ON);

  private final int maxRetries;
  private final Duration base;
  private final Duration cap;
  private final Set<Outcome> retryOn;

  private RetryPolicy(int maxRetries, Duration base, Duration cap, Set<Outcome> retryOn) {
    this.maxRetries = maxRetries;
    this.base = base;
    this.cap = cap;
    this.retryOn = Set.copyOf(retryOn);
  }

  /**
   * No retries: one round over the addresses.
   *
   * @return the policy that never retries
   */
  public static RetryPolicy none() {
    return NONE;
  }

  /**
   * Up to {@code retries} more rounds (0 to 100), backoff 100 ms doubling up to 2 s, on the default
   * outcomes.
   *
   * @param retries how many more rounds, 0 to 100
   * @return the policy
   * @throws IllegalArgumentException when {@code retries} is out of range
   */
  public static RetryPolicy retries(int retries) {
    if (retries < 0 || retries > 100) {
      throw new IllegalArgumentException("retries must be 0 to 100: " + retries);
    }
    return new RetryPolicy(retries, NONE.base, NONE.cap, DEFAULT_ON);
  }

  /**
   * The same policy with backoff {@code base} (the first retry waits up to this, each next one up
   * to twice the previous) capped at {@code cap}. Both positive, {@code base <= cap}.
   *
   * @param base the first backoff's upper bound
   * @param cap the largest backoff
   * @return the new policy
   * @throws IllegalArgumentException unless {@code 0 < base <= cap}
   */
  public RetryPolicy withBackoff(Duration base, Duration cap) {
    Objects.requireNonNull(base, "base");
    Objects.requireNonNull(cap, "cap");
    if (base.isNegative() || base.isZero() || cap.compareTo(base) < 0) {
      throw new IllegalArgumentException("backoff needs 0 < base <= cap: " + base + ", " + cap);
    }
    return new RetryPolicy(maxRetries, base, cap, retryOn);
  }

  /**
   * The same policy, retrying {@code refused} too (a service that is restarting refuses).
   *
   * @return the new policy
   */
  public RetryPolicy retryingRefused() {
    EnumSet<Outcome> on = EnumSet.copyOf(retryOn);
    on.add(Outcome.REFUSED);
    return new RetryPolicy(maxRetries, base, cap, on);
  }

  /**
   * The same policy retrying exactly {@code outcomes}.
   *
   * @param outcomes the outcomes to retry
   * @return the new policy
   * @throws IllegalArgumentException for {@code connected}, {@code prohibited} or {@code cancelled},
   *     which are never retried
   */
  public RetryPolicy retryingOn(Set<Outcome> outcomes) {
    for (Outcome o : outcomes) {
      if (o == Outcome.CONNECTED || o == Outcome.PROHIBITED || o == Outcome.CANCELLED) {
        throw new IllegalArgumentException(o.label() + " is never retried");
      }
    }
    return new RetryPolicy(maxRetries, base, cap, outcomes.isEmpty() ? EnumSet.noneOf(Outcome.class) : EnumSet.copyOf(outcomes));
  }

  /**
   * How many more rounds at most; 0 means none.
   *
   * @return the number of retries; 0 for none
   */
  public int maxRetries() {
    return maxRetries;
  }

  /**
   * The first backoff's upper bound.
   *
   * @return the first backoff's upper bound
   */
  public Duration base() {
    return base;
  }

  /**
   * The largest backoff.
   *
   * @return the largest backoff
   */
  public Duration cap() {
    return cap;
  }

  /**
   * The outcomes that are retried.
   *
   * @return the retried outcomes
   */
  public Set<Outcome> retryOn() {
    return retryOn;
  }

  /**
   * True when a round that ended in {@code outcome} is worth another.
   *
   * @param outcome how a round ended
   * @return whether to retry
   */
  public boolean retries(Outcome outcome) {
    return retryOn.contains(outcome);
  }

  /**
   * The pause before retry number {@code retry} (1 for the first), in nanoseconds: uniformly
   * random in [0, min(cap, base * 2^(retry-1))] ("full jitter"); at least {@code base} after a local
   * failure.
   *
   * @param retry the retry's number, from 1
   * @param after the outcome of the round before
   * @param random the source of the jitter
   * @return the pause, in nanoseconds
   */
  public long backoffNanos(int retry, Outcome after, RandomGenerator random) {
    long baseN = base.toNanos();
    long capN = cap.toNanos();
    int shift = Math.min(Math.max(0, retry - 1), 30);
    long ceiling = baseN > (capN >> shift) ? capN : Math.min(capN, baseN << shift);
    long pause = (long) (random.nextDouble() * ceiling);
    if (after == Outcome.NO_LOCAL_ADDRESS || after == Outcome.LOCAL_RESOURCES) {
      pause = Math.max(pause, Math.min(baseN, capN));
    }
    return pause;
  }

  @Override
  public String toString() {
    return "RetryPolicy[retries=" + maxRetries + ", base=" + base + ", cap=" + cap + ", on=" + retryOn + "]";
  }
}
