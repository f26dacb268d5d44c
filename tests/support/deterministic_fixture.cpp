#include "tests/support/deterministic_fixture.hpp"

#include <caf/atom.hpp>

namespace herald::test {

caf::actor_system_config& deterministic_fixture::prepare(caf::actor_system_config& cfg) {
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.console", caf::atom("none"));
  return cfg;
}

deterministic_fixture::deterministic_fixture()
    : sys(prepare(cfg)), sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {
  // nop
}

size_t deterministic_fixture::run() {
  return sched.run();
}

void deterministic_fixture::advance(caf::timespan d) {
  sched.clock().advance_time(d);
  sched.run();
}

}  // namespace herald::test
