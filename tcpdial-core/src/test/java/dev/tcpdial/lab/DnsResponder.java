package dev.tcpdial.lab;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A tiny authoritative DNS server for tests, on UDP and TCP port 53 of an address (a network
 * namespace's own loopback, named by its {@code /etc/netns/NAME/resolv.conf}): for each question it
 * asks {@code rules} what to do with the name: answer an A record at once, answer after a delay,
 * say NXDOMAIN, or never answer. AAAA questions get an empty answer (NOERROR, no record). It counts
 * the questions per name. Test support: a name server whose slowness the test decides.
 */
public final class DnsResponder implements AutoCloseable {

  /** What to do with a question for a name. */
  public sealed interface Action {}

  /** Answer with {@code address} after {@code delayMillis} (0: at once). */
  public record Answer(InetAddress address, long delayMillis) implements Action {}

  /** Never answer (a name server that does not respond). */
  public record Silence() implements Action {}

  /** Answer NXDOMAIN at once. */
  public record NoSuchName() implements Action {}

  private final Function<String, Action> rules;
  private final DatagramChannel udp;
  private final ServerSocket tcp;
  private final ScheduledExecutorService later;
  private final Map<String, AtomicInteger> questions = new ConcurrentHashMap<>();
  private final List<Socket> held = new ArrayList<>();
  private volatile boolean closed;

  /**
   * Listens on {@code address} port 53, UDP and TCP.
   *
   * @param address where to listen, such as 127.0.0.1 in a namespace of the test's own
   * @param rules what to do with a question, by the name asked (lower case, no trailing dot)
   * @throws IOException when port 53 cannot be bound (not root, or taken)
   */
  public DnsResponder(InetAddress address, Function<String, Action> rules) throws IOException {
    this.rules = rules;
    this.later = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "dns-responder-later");
      t.setDaemon(true);
      return t;
    });
    udp = DatagramChannel.open();
    tcp = new ServerSocket();
    try {
      udp.bind(new InetSocketAddress(address, 53));
      tcp.bind(new InetSocketAddress(address, 53), 512);
    } catch (IOException e) {
      close();
      throw e;
    }
    Thread.ofPlatform().daemon().name("dns-responder-udp").start(this::serveUdp);
    Thread.ofPlatform().daemon().name("dns-responder-tcp").start(this::serveTcp);
  }

  /**
   * How many questions (A and AAAA, UDP and TCP) asked about {@code name}.
   *
   * @param name the name, lower case, no trailing dot
   * @return the count
   */
  public int questions(String name) {
    AtomicInteger n = questions.get(name);
    return n == null ? 0 : n.get();
  }

  /**
   * How many distinct names were asked about that {@code which} accepts.
   *
   * @param which a filter on names
   * @return the count
   */
  public long names(java.util.function.Predicate<String> which) {
    return questions.keySet().stream().filter(which).count();
  }

  private void serveUdp() {
    ByteBuffer in = ByteBuffer.allocate(4096);
    while (!closed) {
      try {
        in.clear();
        SocketAddress from = udp.receive(in);
        in.flip();
        byte[] query = new byte[in.remaining()];
        in.get(query);
        respond(query, reply -> {
          try {
            udp.send(ByteBuffer.wrap(reply), from);
          } catch (IOException e) {
            // the asker is gone
          }
        });
      } catch (IOException e) {
        return; // closed
      } catch (RuntimeException e) {
        // a malformed question: no answer
      }
    }
  }

  private void serveTcp() {
    while (!closed) {
      try {
        Socket s = tcp.accept();
        synchronized (held) {
          held.add(s);
        }
        Thread.ofVirtual().start(() -> {
          try {
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            while (true) {
              byte[] query = new byte[in.readUnsignedShort()];
              in.readFully(query);
              respond(query, reply -> {
                synchronized (out) {
                  try {
                    out.writeShort(reply.length);
                    out.write(reply);
                    out.flush();
                  } catch (IOException e) {
                    // the asker is gone
                  }
                }
              });
            }
          } catch (IOException | RuntimeException e) {
            // the asker closed, or asked nonsense
          }
        });
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void respond(byte[] q, java.util.function.Consumer<byte[]> send) {
    // header (12 bytes), then one question: labels, a zero byte, type, class
    int pos = 12;
    StringBuilder name = new StringBuilder();
    while (q[pos] != 0) {
      int len = q[pos] & 0xff;
      if (name.length() > 0) {
        name.append('.');
      }
      name.append(new String(q, pos + 1, len, java.nio.charset.StandardCharsets.US_ASCII));
      pos += 1 + len;
    }
    int questionEnd = pos + 5; // the zero byte, type, class
    int type = ((q[pos + 1] & 0xff) << 8) | (q[pos + 2] & 0xff);
    String asked = name.toString().toLowerCase(Locale.ROOT);
    questions.computeIfAbsent(asked, k -> new AtomicInteger()).incrementAndGet();
    Action action = rules.apply(asked);
    switch (action) {
      case Silence s -> { }
      case NoSuchName n -> send.accept(reply(q, questionEnd, 3, null));
      case Answer a -> {
        byte[] r = reply(q, questionEnd, 0, type == 1 ? a.address() : null);
        if (a.delayMillis() <= 0) {
          send.accept(r);
        } else {
          later.schedule(() -> send.accept(r), a.delayMillis(), TimeUnit.MILLISECONDS);
        }
      }
    }
  }

  // The question echoed; an A record for it when address is given; rcode 3 is NXDOMAIN.
  private static byte[] reply(byte[] q, int questionEnd, int rcode, InetAddress address) {
    boolean answer = address != null && address.getAddress().length == 4;
    ByteBuffer r = ByteBuffer.allocate(questionEnd + (answer ? 16 : 0));
    r.put(q, 0, 2); // id
    r.put((byte) (0x84 | (q[2] & 0x79))); // QR, AA; the query's opcode and RD
    r.put((byte) (0x80 | rcode)); // RA, rcode
    r.putShort((short) 1).putShort((short) (answer ? 1 : 0)).putShort((short) 0)
        .putShort((short) 0);
    r.put(q, 12, questionEnd - 12);
    if (answer) {
      r.putShort((short) 0xc00c).putShort((short) 1).putShort((short) 1).putInt(0)
          .putShort((short) 4).put(address.getAddress());
    }
    return r.array();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    later.shutdownNow();
    try {
      udp.close();
    } finally {
      tcp.close();
      synchronized (held) {
        for (Socket s : held) {
          s.close();
        }
      }
    }
  }
}
