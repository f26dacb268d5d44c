#pragma once

#include <memory>

#include <caf/actor_system.hpp>

#include "api/config.hpp"

namespace herald {

/// The composition root: opens the store, rehydrates the engine and runs both front ends.
class server {
public:
  server(caf::actor_system& sys, server_config cfg);
  ~server();

  /// Migrates the schema, loads unfinished work, spawns the engine and binds both ports; logs
  /// what it bound. Throws on failure (bad database URL, port in use, ...).
  void start();

  /// Stops accepting, closes streams and calls, then stops the engine actors.
  void stop();

private:
  caf::actor_system& sys_;
  server_config cfg_;
  registry_actor registry_;
  schedule_manager_actor schedules_;
  durable_streams_actor durable_streams_;
  store_writer_actor writer_;
  store_reader_actor reader_;
  std::shared_ptr<authenticator> auth_;
  std::unique_ptr<grpc_server> grpc_;
  std::unique_ptr<http_server> http_;
};

}  // namespace herald
