#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <utility>

#include <caf/actor_system.hpp>

#include "actors/queue_actor.hpp"

namespace herald {

/// Where the engine's shared actors live, for any thread (engine actors and front ends alike):
/// the queue of each (org, queue name), spawned on first use. Thread-safe; lookups take a shared
/// lock, so the hot path never waits for the registry.
class engine_directory {
public:
  engine_directory(caf::actor_system& sys, queue_settings settings);

  engine_directory(const engine_directory&) = delete;
  engine_directory& operator=(const engine_directory&) = delete;

  /// Returns the queue of (`org_id`, `name`), spawning it if needed; an invalid handle once
  /// stopped.
  queue_actor queue(const std::string& org_id, const std::string& name);

  /// Stops every queue (each answers its waiting polls with UNAVAILABLE); none is spawned after.
  void stop();

private:
  caf::actor_system& sys_;
  queue_settings settings_;
  std::shared_mutex mtx_;
  std::map<std::pair<std::string, std::string>, queue_actor> queues_;
  bool stopped_ = false;
};

using engine_directory_ptr = std::shared_ptr<engine_directory>;

}  // namespace herald
