/**
 * Apache HttpClient 5's classic client connecting with tcpdial: every resolved address raced with
 * Happy Eyeballs inside the client's connect timeout, failures that name their outcome and errno.
 * See {@link dev.tcpdial.httpclient5.TcpdialConnectionOperator}.
 */
package dev.tcpdial.httpclient5;
