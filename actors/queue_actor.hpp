#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/task_actor.hpp"
#include "actors/workflow_actor.hpp"
#include "protocol/caf_types.hpp"
#include "protocol/messages.hpp"

namespace herald {

/// A workflow that is ready to run.
struct ready_workflow {
  std::string id;
  std::string org_id;
  std::string queue;
  std::string kind;
  int64_t score = 0;  ///< created_ms - priority_ms: lower runs first
  workflow_actor handle;
};

/// A task that is ready to run.
struct ready_task {
  std::string id;
  std::string org_id;
  std::string queue;
  std::string kind;
  task_actor handle;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ready_workflow& x) {
  return f(caf::meta::type_name("ready_workflow"), x.id, x.org_id, x.queue, x.kind, x.score,
           x.handle);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ready_task& x) {
  return f(caf::meta::type_name("ready_task"), x.id, x.org_id, x.queue, x.kind, x.handle);
}

/// The ready work and the parked long polls of one (org, queue). A poll is answered the moment
/// matching work is ready (no store polling), or empty when its timeout passes.
using queue_actor = caf::typed_actor<
    caf::reacts_to<enqueue_atom, ready_workflow>, caf::reacts_to<enqueue_atom, ready_task>,
    /// Replies the claimed execution, or a record with an empty id when the poll times out.
    caf::replies_to<poll_atom, workflow_atom, poll_request>::with<workflow_record>,
    caf::replies_to<poll_atom, task_atom, poll_request>::with<task_record>>;

/// Knobs of a queue.
struct queue_settings {
  size_t max_parked_polls = 10000;  ///< more concurrent polls are refused (resource_exhausted)
  /// Bound on a claim, which waits for a commit: longer than the store timeout.
  std::chrono::milliseconds claim_timeout{90000};
};

queue_actor spawn_queue(caf::actor_system& sys, const queue_settings& settings);

}  // namespace herald
