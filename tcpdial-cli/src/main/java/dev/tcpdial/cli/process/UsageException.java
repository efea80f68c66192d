package dev.tcpdial.cli.process;

/** Bad input found while a command runs (a file line, a CIDR block too large): exit code 2. */
public final class UsageException extends RuntimeException {
  public UsageException(String message) {
    super(message, null, false, false);
  }
}
