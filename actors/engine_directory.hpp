#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/error.hpp>

#include "actors/engine_stats.hpp"
#include "actors/execution_feed_actor.hpp"
#include "actors/queue_actor.hpp"
#include "actors/worker_activity.hpp"
#include "protocol/messages.hpp"
#include "protocol/records.hpp"

namespace herald {

/// What any thread (engine actors and front ends alike) may look up without asking the
/// registry: the orgs, the live workflow and task actors, the queue of each (org, queue name),
/// spawned on first use, and when each worker was last alive. Thread-safe; lookups take a shared
/// lock. Live actors are added and removed by the registry (which spawns, rehydrates and forgets
/// executions) and by workflow actors (their tasks); a handle read here may belong to an actor
/// that just left memory, whose requests then bounce (`sec::request_receiver_down`).
class engine_directory {
public:
  engine_directory(caf::actor_system& sys, queue_settings settings,
                   execution_feed_settings feed_settings = {});

  engine_directory(const engine_directory&) = delete;
  engine_directory& operator=(const engine_directory&) = delete;

  // -- orgs ------------------------------------------------------------------------------------

  void add_org(const org_record& org);

  std::optional<org_record> org_by_id(const std::string& id) const;

  std::optional<org_record> org_by_slug(const std::string& slug) const;

  /// Returns the error for an org id that is malformed or unknown, or none.
  caf::error check_org(const std::string& org_id) const;

  // -- live actors -----------------------------------------------------------------------------

  /// A live task, its workflow ("" for a standalone task) and its org.
  struct live_task {
    task_actor handle;
    std::string workflow_id;
    std::string org_id;
  };

  void add_workflow(const std::string& id, const workflow_actor& handle, const std::string& org_id);

  /// Forgets workflow `id` and its tasks.
  void remove_workflow(const std::string& id);

  /// Returns the live actor of workflow `id`, or an invalid handle.
  workflow_actor workflow(const std::string& id) const;

  void add_task(const std::string& id, const task_actor& handle, const std::string& workflow_id,
                const std::string& org_id);

  std::optional<live_task> task(const std::string& id) const;

  /// Forgets task `id` if `handle` is still its live actor (a standalone task that passivates).
  void remove_task(const std::string& id, const task_actor& handle);

  /// The org of the live workflow or task `id`, or "" when it is not live.
  std::string org_of(const std::string& id) const;

  // -- queues ----------------------------------------------------------------------------------

  /// Returns the queue of (`org_id`, `name`), spawning it if needed; an invalid handle once
  /// stopped.
  queue_actor queue(const std::string& org_id, const std::string& name);

  /// Checks a poll before it goes to its queue (its org, its timeout; no queue name means
  /// "default") and notes it as a sign of life of its worker.
  caf::error admit_poll(poll_request& req);

  /// Queues reported apart in the metrics; later ones are left out (queue names are
  /// client-chosen text).
  static constexpr size_t max_queue_series = 500;

  /// The queue gauges (ready work and parked polls of each queue) in Prometheus text format.
  std::string queue_metrics_text() const;

  /// Stops every queue (each answers its waiting polls with UNAVAILABLE) and the feed; no queue
  /// is spawned after.
  void stop();

  // -- executions feed -------------------------------------------------------------------------

  /// The org-level feed of execution lifecycle events; the handle never changes.
  const execution_feed_actor& feed() const { return feed_; }

  /// The org-level feed of schedule events (changes and fires), an instance of the same actor.
  const execution_feed_actor& schedule_feed() const { return schedule_feed_; }

  // -- workers ---------------------------------------------------------------------------------

  worker_activity& activity() { return activity_; }

  // -- metrics ---------------------------------------------------------------------------------

  engine_stats& stats() { return stats_; }

  /// The time of the actor clock in milliseconds (see `clock_ms`), from any thread.
  int64_t clock_ms() const;

private:
  caf::actor_system& sys_;
  queue_settings settings_;
  mutable std::shared_mutex mtx_;
  std::map<std::string, org_record> orgs_by_id_;
  std::map<std::string, std::string> org_ids_by_slug_;
  std::map<std::pair<std::string, std::string>, queue_actor> queues_;
  /// Kept after `stop` (the last values stay readable).
  std::map<std::pair<std::string, std::string>, std::shared_ptr<queue_gauges>> queue_gauges_;
  bool stopped_ = false;
  mutable std::shared_mutex live_mtx_;  ///< guards the live actors (apart from the queues)
  struct live_workflow {
    workflow_actor handle;
    std::string org_id;
  };
  std::unordered_map<std::string, live_workflow> workflows_;
  std::unordered_map<std::string, live_task> tasks_;
  std::unordered_map<std::string, std::vector<std::string>> tasks_of_;  ///< by workflow id
  worker_activity activity_;
  engine_stats stats_;
  execution_feed_actor feed_;
  execution_feed_actor schedule_feed_;
};

using engine_directory_ptr = std::shared_ptr<engine_directory>;

}  // namespace herald
