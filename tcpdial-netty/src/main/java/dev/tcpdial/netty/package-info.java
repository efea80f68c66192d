/**
 * Netty channels connected by tcpdial: every address of a name, Happy Eyeballs, one deadline,
 * retries, and a failed {@link io.netty.channel.ChannelFuture} whose cause names the outcome and
 * errno. See {@link dev.tcpdial.netty.NettyDialer}.
 */
package dev.tcpdial.netty;
