#include "tools/herald-load/progress_line.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace herald::load {

using namespace std::chrono_literals;

progress_line::progress_line(const run_metrics& metrics, const run_ledger& ledger)
    : metrics_(metrics), ledger_(ledger), tty_(isatty(STDERR_FILENO) == 1) {
  // nop
}

progress_line::~progress_line() {
  stop();
}

void progress_line::start() {
  thread_ = std::thread{[this] { loop(); }};
}

void progress_line::stop() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (stopping_ || !thread_.joinable())
      return;
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (tty_)
    std::fputs("\n", stderr);
}

void progress_line::loop() {
  auto begin = std::chrono::steady_clock::now();
  auto last = begin;
  uint64_t last_done = 0;
  int tick = 0;
  std::unique_lock<std::mutex> lock{mtx_};
  while (!cv_.wait_for(lock, 1s, [this] { return stopping_; })) {
    auto now = std::chrono::steady_clock::now();
    auto done = metrics_.completed.load();
    double rate
        = static_cast<double>(done - last_done) / std::chrono::duration<double>(now - last).count();
    last = now;
    last_done = done;
    if (tty_ || ++tick % 5 == 0)
      print(std::chrono::duration<double>(now - begin).count(), rate);
  }
}

void progress_line::print(double elapsed, double rate) {
  std::fprintf(stderr,
               "%s[%6.1fs] started %llu  done %llu (%.0f/s)  in flight %lld  tasks %llu  "
               "sse %llu (open %lld)  timers %lld  err %llu  viol %llu  p99 %.1f ms%s",
               tty_ ? "\r" : "", elapsed, static_cast<unsigned long long>(metrics_.started.load()),
               static_cast<unsigned long long>(metrics_.completed.load()), rate,
               static_cast<long long>(ledger_.in_flight()),
               static_cast<unsigned long long>(metrics_.tasks_completed.load()),
               static_cast<unsigned long long>(metrics_.sse_events.load()),
               static_cast<long long>(metrics_.subscribers_open.load()),
               static_cast<long long>(metrics_.timers_pending.load()),
               static_cast<unsigned long long>(metrics_.error_total()),
               static_cast<unsigned long long>(metrics_.violation_total()),
               static_cast<double>(metrics_.start_to_complete.percentile(0.99)) / 1000.0,
               tty_ ? "\033[K" : "\n");
  std::fflush(stderr);
}

}  // namespace herald::load
