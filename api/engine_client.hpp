#pragma once

#include <memory>

#include "actors/durable_streams_actor.hpp"
#include "actors/engine_directory.hpp"
#include "actors/registry_actor.hpp"
#include "actors/schedule_manager_actor.hpp"
#include "api/engine_port.hpp"

namespace herald {

/// How the front ends (gRPC, HTTP) reach the engine: the registry (which finds or rehydrates
/// the actor that owns an entity), the schedules, the durable streams, the directory (queues, orgs
/// and worker activity, looked up without a hop), and the port that carries requests from their
/// threads.
struct engine_client {
  registry_actor registry;
  schedule_manager_actor schedules;
  durable_streams_actor durable_streams;
  engine_directory_ptr directory;
  std::shared_ptr<engine_port> port;
};

}  // namespace herald
