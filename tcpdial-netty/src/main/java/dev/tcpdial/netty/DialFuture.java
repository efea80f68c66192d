package dev.tcpdial.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.DefaultPromise;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;

/**
 * The future of a connect by tcpdial: there is no channel until the dial has connected, so this
 * is a promise of its own rather than a channel's (handed out as a {@code ChannelFuture}). Completed exactly once: by the registered
 * channel, by the dial's failure, or by a cancel, which also cancels the dial.
 */
final class DialFuture extends DefaultPromise<Void> implements ChannelPromise {
  private volatile Channel channel;
  private volatile Runnable onCancel;

  DialFuture(EventExecutor executor) {
    super(executor);
  }

  void onCancel(Runnable action) {
    onCancel = action;
    if (isCancelled()) {
      action.run();
    }
  }

  /** Completes with {@code ch}; false when the future was completed before (cancelled). */
  boolean complete(Channel ch) {
    channel = ch;
    return trySuccess(null);
  }

  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    if (!super.cancel(mayInterruptIfRunning)) {
      return false;
    }
    Runnable r = onCancel;
    if (r != null) {
      r.run();
    }
    return true;
  }

  @Override
  public Channel channel() {
    return isSuccess() ? channel : null;
  }

  @Override
  public boolean isVoid() {
    return false;
  }

  @Override
  public ChannelPromise unvoid() {
    return this;
  }

  @Override
  public ChannelPromise setSuccess(Void result) {
    super.setSuccess(null); // a Void result is always null
    return this;
  }

  @Override
  public ChannelPromise setSuccess() {
    return setSuccess(null);
  }

  @Override
  public boolean trySuccess() {
    return trySuccess(null);
  }

  @Override
  public ChannelPromise setFailure(Throwable cause) {
    super.setFailure(cause);
    return this;
  }

  @Override
  public ChannelPromise addListener(GenericFutureListener<? extends Future<? super Void>> l) {
    super.addListener(l);
    return this;
  }

  @Override
  @SafeVarargs
  @SuppressWarnings("varargs")
  public final ChannelPromise addListeners(
      GenericFutureListener<? extends Future<? super Void>>... listeners) {
    super.addListeners(listeners);
    return this;
  }

  @Override
  public ChannelPromise removeListener(GenericFutureListener<? extends Future<? super Void>> l) {
    super.removeListener(l);
    return this;
  }

  @Override
  @SafeVarargs
  @SuppressWarnings("varargs")
  public final ChannelPromise removeListeners(
      GenericFutureListener<? extends Future<? super Void>>... listeners) {
    super.removeListeners(listeners);
    return this;
  }

  @Override
  public ChannelPromise sync() throws InterruptedException {
    super.sync();
    return this;
  }

  @Override
  public ChannelPromise syncUninterruptibly() {
    super.syncUninterruptibly();
    return this;
  }

  @Override
  public ChannelPromise await() throws InterruptedException {
    super.await();
    return this;
  }

  @Override
  public ChannelPromise awaitUninterruptibly() {
    super.awaitUninterruptibly();
    return this;
  }
}
