package dev.tcpdial.internal;

import java.util.concurrent.CompletableFuture;

/**
 * A future whose {@code cancel} reaches the dial behind it. Stages derived from it are plain
 * {@link CompletableFuture}s: cancelling those does not cancel the dial.
 */
public final class CancellableFuture<T> extends CompletableFuture<T> {
  private volatile Runnable onCancel;

  /** Runs {@code r} when this future is cancelled (at once if it already was). */
  public void onCancel(Runnable r) {
    onCancel = r;
    if (isCancelled()) {
      r.run();
    }
  }

  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    boolean c = super.cancel(mayInterruptIfRunning);
    Runnable r = onCancel;
    if (c && r != null) {
      r.run();
    }
    return c;
  }

  @Override
  public <U> CompletableFuture<U> newIncompleteFuture() {
    return new CompletableFuture<>();
  }
}
