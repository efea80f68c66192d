/**
 * A {@link javax.net.SocketFactory} whose sockets are connected by tcpdial: every address of a
 * name, Happy Eyeballs, one deadline, and failures that name their outcome and errno. For pgjdbc
 * ({@code socketFactory=}), Jakarta Mail ({@code mail.smtp.socketFactory.class}), JNDI LDAP
 * ({@code java.naming.ldap.factory.socket}) and every other client that takes a socket factory by
 * class name. See {@link dev.tcpdial.socketfactory.DialingSocketFactory}.
 */
package dev.tcpdial.socketfactory;
