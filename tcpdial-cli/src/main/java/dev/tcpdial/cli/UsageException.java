package dev.tcpdial.cli;

/** Bad input found while a command runs (a file line, a CIDR block too large): exit code 2. */
final class UsageException extends RuntimeException {
  UsageException(String message) {
    super(message, null, false, false);
  }
}
