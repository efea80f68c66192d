package dev.tcpdial.cli.plot;

import dev.tcpdial.DialResult;
import java.time.Instant;
import java.util.List;

/**
 * Where {@code tcpdial ping} hands each result besides its text output: the live chart, the HTML
 * report. Results may arrive in completion order, not start order (several probes of one target
 * in flight); each comes with the time its probe started. Called from one thread at a time.
 */
public interface PingSink extends AutoCloseable {
  /**
   * The run starts at {@code start}: the first probe follows.
   *
   * @param start when the run started: the time origin of the view
   */
  void begin(Instant start);

  /**
   * The probe {@code seq} of {@code targets.get(index)}, started at {@code started}, ended as
   * {@code result}; {@code figures} are that target's statistics with it counted.
   *
   * @param index the target's position in the list of targets
   * @param seq the round the probe belongs to, from 1; one probe per target each round
   * @param started when the probe started
   * @param result how it ended
   * @param figures that target's running statistics, {@code result} counted
   */
  void result(int index, long seq, Instant started, DialResult result, Figures figures);

  /** The run is over: release what the view holds (the terminal, for the chart). */
  @Override
  void close();

  /**
   * Several sinks as one.
   *
   * @param sinks the sinks, each call handed to them in this order
   * @return a sink that hands every call to each of {@code sinks}
   */
  static PingSink all(List<PingSink> sinks) {
    return new PingSink() {
      @Override
      public void begin(Instant start) {
        for (PingSink s : sinks) {
          s.begin(start);
        }
      }

      @Override
      public void result(int index, long seq, Instant started, DialResult result, Figures figures) {
        for (PingSink s : sinks) {
          s.result(index, seq, started, result, figures);
        }
      }

      @Override
      public void close() {
        for (PingSink s : sinks) {
          s.close();
        }
      }
    };
  }
}
