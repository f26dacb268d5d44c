#pragma once

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>

namespace herald::test {

/// An actor system on CAF's deterministic test scheduler: nothing runs until the test says so,
/// and time only moves when the test advances the clock.
struct deterministic_fixture {
  deterministic_fixture();

  /// Runs every ready actor until nothing is left to do; returns the number of steps.
  size_t run();

  /// Advances the test clock by `d` (delivering what fell due), then runs.
  void advance(caf::timespan d);

  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;

private:
  static caf::actor_system_config& prepare(caf::actor_system_config& cfg);
};

}  // namespace herald::test
