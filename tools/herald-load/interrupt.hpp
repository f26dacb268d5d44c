#pragma once

#include <cstdint>
#include <functional>

namespace herald::load {

/// Turns SIGINT and SIGTERM into an orderly exit: a thread waits for them, runs the registered
/// cleanups, newest first, and exits with 128 + the signal. Call it once, early in main.
void exit_cleanly_on_interrupt();

/// Something an interrupt must undo (a throwaway database, a temporary directory): `undo` runs
/// if the process is interrupted while the guard lives; its owner cleans up otherwise.
class interrupt_cleanup {
public:
  explicit interrupt_cleanup(std::function<void()> undo);
  ~interrupt_cleanup();

  interrupt_cleanup(const interrupt_cleanup&) = delete;
  interrupt_cleanup& operator=(const interrupt_cleanup&) = delete;

private:
  uint64_t id_;
};

}  // namespace herald::load
