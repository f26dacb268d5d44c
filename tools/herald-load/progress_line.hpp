#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tools/herald-load/run_ledger.hpp"
#include "tools/herald-load/run_metrics.hpp"

namespace herald::load {

/// The live one-line display on stderr while a run goes on: elapsed time, completion rate, in
/// flight, errors, violations, and p99 start->complete so far. Rewritten in place once a second
/// on a terminal; a new line every 5 s otherwise (logs).
class progress_line {
public:
  progress_line(const run_metrics& metrics, const run_ledger& ledger);
  ~progress_line();

  void start();
  /// Stops the display and ends its line.
  void stop();

private:
  void loop();
  void print(double elapsed, double rate);

  const run_metrics& metrics_;
  const run_ledger& ledger_;
  bool tty_;
  std::thread thread_;
  std::mutex mtx_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace herald::load
