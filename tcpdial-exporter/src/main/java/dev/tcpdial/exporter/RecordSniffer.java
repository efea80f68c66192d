package dev.tcpdial.exporter;

import java.nio.ByteBuffer;

/**
 * Reads the TLS record layer of one direction of a handshake as bytes pass (RFC 8446 section 5.1,
 * RFC 5246 section 6.2): whether the stream is TLS at all, and the first alert sent in the clear.
 * A TLS alert before the keys are in use is a record of type 21 whose body is exactly two bytes,
 * level and description; one sent later is encrypted (type 21 longer than two bytes in TLS 1.2,
 * type 23 in TLS 1.3) and its description cannot be read here.
 *
 * <p>This is how a handshake failure is named by the alert's code, which the JDK's exceptions do
 * not carry (only in their message text).
 */
final class RecordSniffer {
  private final byte[] header = new byte[5];
  private int headerFill;
  private int bodyLeft;
  private int bodyType;
  private final byte[] alert = new byte[2];
  private int alertFill;
  private boolean tlsSeen;
  private boolean notTls;
  private int alertLevel = -1;
  private int alertCode = -1;
  private boolean encryptedAlert;
  private boolean endOfStream;
  private long bytes;

  /** Takes the bytes between {@code b}'s position and limit, in stream order. */
  void feed(ByteBuffer b) {
    while (b.hasRemaining() && !notTls) {
      bytes++;
      int x = b.get() & 0xff;
      if (bodyLeft == 0) {
        header[headerFill++] = (byte) x;
        if (headerFill == 1 && (x < 20 || x > 24)) {
          notTls = !tlsSeen; // garbage after TLS is a broken peer, not a plain-text one
          return;
        }
        if (headerFill == 2 && x != 3) {
          notTls = !tlsSeen;
          return;
        }
        if (headerFill == 5) {
          headerFill = 0;
          bodyType = header[0] & 0xff;
          bodyLeft = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
          tlsSeen = true;
          alertFill = 0;
          if (bodyType == 21 && bodyLeft != 2 && alertCode < 0) {
            encryptedAlert = true;
          }
        }
        continue;
      }
      bodyLeft--;
      if (bodyType == 21 && alertCode < 0 && !encryptedAlert) {
        alert[alertFill++] = (byte) x;
        if (alertFill == 2) {
          alertLevel = alert[0] & 0xff;
          alertCode = alert[1] & 0xff;
        }
      }
    }
  }

  /** The stream ended (the peer closed). */
  void endOfStream() {
    endOfStream = true;
  }

  /** Whether the first bytes were not a TLS record: the peer speaks something else. */
  boolean notTls() {
    return notTls;
  }

  /** Whether nothing at all came. */
  boolean empty() {
    return bytes == 0;
  }

  /** Whether the stream ended. */
  boolean ended() {
    return endOfStream;
  }

  /** The first clear-text alert's description code, or -1. */
  int alertCode() {
    return alertCode;
  }

  /** Its level (1 warning, 2 fatal), or -1. */
  int alertLevel() {
    return alertLevel;
  }

  /** Whether an alert came that could not be read (encrypted). */
  boolean encryptedAlert() {
    return encryptedAlert;
  }

  /** The alert's name as RFC 8446 and RFC 5246 spell it, or {@code alert_N} for another. */
  static String alertName(int code) {
    return switch (code) {
      case 0 -> "close_notify";
      case 10 -> "unexpected_message";
      case 20 -> "bad_record_mac";
      case 21 -> "decryption_failed";
      case 22 -> "record_overflow";
      case 30 -> "decompression_failure";
      case 40 -> "handshake_failure";
      case 41 -> "no_certificate";
      case 42 -> "bad_certificate";
      case 43 -> "unsupported_certificate";
      case 44 -> "certificate_revoked";
      case 45 -> "certificate_expired";
      case 46 -> "certificate_unknown";
      case 47 -> "illegal_parameter";
      case 48 -> "unknown_ca";
      case 49 -> "access_denied";
      case 50 -> "decode_error";
      case 51 -> "decrypt_error";
      case 60 -> "export_restriction";
      case 70 -> "protocol_version";
      case 71 -> "insufficient_security";
      case 80 -> "internal_error";
      case 86 -> "inappropriate_fallback";
      case 90 -> "user_canceled";
      case 100 -> "no_renegotiation";
      case 109 -> "missing_extension";
      case 110 -> "unsupported_extension";
      case 111 -> "certificate_unobtainable";
      case 112 -> "unrecognized_name";
      case 113 -> "bad_certificate_status_response";
      case 114 -> "bad_certificate_hash_value";
      case 115 -> "unknown_psk_identity";
      case 116 -> "certificate_required";
      case 120 -> "no_application_protocol";
      default -> "alert_" + code;
    };
  }
}
