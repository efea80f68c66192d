package dev.tcpdial.socketfactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tcpdial.DialException;
import dev.tcpdial.Errno;
import dev.tcpdial.Outcome;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Hashtable;
import javax.naming.CommunicationException;
import javax.naming.Context;
import javax.naming.directory.InitialDirContext;
import org.junit.jupiter.api.Test;

/**
 * The JDK's own LDAP client, told to use {@link DialingSocketFactory} by class name ({@code
 * java.naming.ldap.factory.socket}: it calls the static {@code getDefault()}), against a refused
 * loopback port.
 */
class JndiLdapTest {

  @Test
  @SuppressWarnings("JdkObsolete") // InitialDirContext takes a Hashtable
  void ldapThroughTheFactoryNamesTheRefusal() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      closed = s.getLocalPort();
    }
    Hashtable<String, Object> env = new Hashtable<>();
    env.put(Context.INITIAL_CONTEXT_FACTORY, "com.sun.jndi.ldap.LdapCtxFactory");
    env.put(Context.PROVIDER_URL, "ldap://127.0.0.1:" + closed);
    env.put("java.naming.ldap.factory.socket", DialingSocketFactory.class.getName());
    env.put("com.sun.jndi.ldap.connect.timeout", "2000");
    CommunicationException e = assertThrows(CommunicationException.class,
        () -> new InitialDirContext(env).close());
    DialException d = PgjdbcTest.dialException(e);
    assertThat(d).as("the cause chain of %s", e).isNotNull();
    assertThat(d.outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(d.errno()).isEqualTo(Errno.ECONNREFUSED);
  }
}
