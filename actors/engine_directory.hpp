#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/error.hpp>

#include "actors/queue_actor.hpp"
#include "actors/worker_activity.hpp"
#include "protocol/messages.hpp"
#include "protocol/records.hpp"

namespace herald {

/// What any thread (engine actors and front ends alike) may look up without asking the
/// registry: the orgs, the queue of each (org, queue name), spawned on first use, and when each
/// worker was last alive. Thread-safe; lookups take a shared lock.
class engine_directory {
public:
  engine_directory(caf::actor_system& sys, queue_settings settings);

  engine_directory(const engine_directory&) = delete;
  engine_directory& operator=(const engine_directory&) = delete;

  // -- orgs ------------------------------------------------------------------------------------

  void add_org(const org_record& org);

  std::optional<org_record> org_by_id(const std::string& id) const;

  std::optional<org_record> org_by_slug(const std::string& slug) const;

  /// Returns the error for an org id that is malformed or unknown, or none.
  caf::error check_org(const std::string& org_id) const;

  // -- queues ----------------------------------------------------------------------------------

  /// Returns the queue of (`org_id`, `name`), spawning it if needed; an invalid handle once
  /// stopped.
  queue_actor queue(const std::string& org_id, const std::string& name);

  /// Checks a poll before it goes to its queue (its org, its timeout; no queue name means
  /// "default") and notes it as a sign of life of its worker.
  caf::error admit_poll(poll_request& req);

  /// Stops every queue (each answers its waiting polls with UNAVAILABLE); none is spawned after.
  void stop();

  // -- workers ---------------------------------------------------------------------------------

  worker_activity& activity() { return activity_; }

  /// The time of the actor clock in milliseconds (see `clock_ms`), from any thread.
  int64_t clock_ms() const;

private:
  caf::actor_system& sys_;
  queue_settings settings_;
  mutable std::shared_mutex mtx_;
  std::map<std::string, org_record> orgs_by_id_;
  std::map<std::string, std::string> org_ids_by_slug_;
  std::map<std::pair<std::string, std::string>, queue_actor> queues_;
  bool stopped_ = false;
  worker_activity activity_;
};

using engine_directory_ptr = std::shared_ptr<engine_directory>;

}  // namespace herald
