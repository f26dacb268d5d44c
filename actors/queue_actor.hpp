#pragma once

#include <atomic>
#include <memory>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

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

/// A parked poll set aside for work that is about to become ready: the work's actor claims it
/// in the commit that makes the work ready, then hands the claimed record over (`deliver_atom`),
/// or gives the poll back (`unreserve_atom`) if that commit failed. `id` 0: no poll was waiting.
struct poll_reservation {
  uint64_t id = 0;
  std::string worker_id;  ///< the worker the claim is for
  std::string channel;    ///< the connection of its poll
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

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, poll_reservation& x) {
  return f(caf::meta::type_name("poll_reservation"), x.id, x.worker_id, x.channel);
}

/// The ready work and the parked long polls of one (org, queue). A poll is answered the moment
/// matching work is ready (no store polling), or empty when its timeout passes. Work that
/// becomes ready while a poll waits is claimed in the same commit (reserve, deliver); work that
/// finds no poll waits here until one arrives, and is then claimed by its own commit.
using queue_actor = caf::typed_actor<
    caf::reacts_to<enqueue_atom, ready_workflow>, caf::reacts_to<enqueue_atom, ready_task>,
    /// Replies the claimed execution, or a record with an empty id when the poll times out.
    caf::replies_to<poll_atom, workflow_atom, poll_request>::with<workflow_record>,
    caf::replies_to<poll_atom, task_atom, poll_request>::with<task_record>,
    /// Sets the oldest parked workflow poll that takes `kind` aside for the caller.
    caf::replies_to<reserve_atom, workflow_atom, std::string>::with<poll_reservation>,
    /// Sets parked task polls aside, one per kind (in order) where one takes it.
    caf::replies_to<reserve_atom, task_atom,
                    std::vector<std::string>>::with<std::vector<poll_reservation>>,
    /// Answers reserved poll `id` with the execution claimed for it; if its poller went away
    /// meanwhile, the claim is released (the handle gets `release_atom`).
    caf::reacts_to<deliver_atom, uint64_t, workflow_record, workflow_actor>,
    caf::reacts_to<deliver_atom, uint64_t, task_record, task_actor>,
    /// Puts reserved poll `id` back in line: its claim was not committed.
    caf::reacts_to<unreserve_atom, uint64_t>,
    /// The poller that sends this gave up its poll request with this request id (e.g. the gRPC
    /// call was cancelled): the poll is answered with no work, and work claimed for it is
    /// released.
    caf::reacts_to<withdraw_atom, uint64_t>>;

/// Knobs of a queue.
struct queue_settings {
  size_t max_parked_polls = 10000;  ///< more concurrent polls are refused (resource_exhausted)
};

/// What a queue holds, stored by its actor after each message it handles and read by
/// /_/metrics from any thread.
struct queue_gauges {
  std::atomic<int64_t> ready_workflows{0};
  std::atomic<int64_t> ready_tasks{0};
  std::atomic<int64_t> parked_workflow_polls{0};
  std::atomic<int64_t> parked_task_polls{0};
};

/// Spawns a queue that keeps `gauges` current.
queue_actor spawn_queue(caf::actor_system& sys, const queue_settings& settings,
                        std::shared_ptr<queue_gauges> gauges);

}  // namespace herald
