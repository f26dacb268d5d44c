#pragma once

#include <memory>
#include <string>

#include "api/grpc/unary_reactor.hpp"
#include "herald/v1/streams.grpc.pb.h"

namespace herald {

/// herald.v1.StreamService: the stream of an execution (or its tree, or a standalone task) for
/// backend services, with the offsets, resume rule and filters of the SSE endpoints. Each call
/// checks the target with one registry request, then subscribes a `stream_sink` to it.
class stream_service final : public v1::StreamService::CallbackService {
public:
  explicit stream_service(service_context context);
  ~stream_service() override;

  /// Replays the events after `request->after()`, then follows live ones until the client
  /// cancels, falls behind (RESOURCE_EXHAUSTED) or the server stops (UNAVAILABLE).
  grpc::ServerWriteReactor<v1::StreamEvent>* Subscribe(
      grpc::CallbackServerContext* ctx, const v1::SubscribeRequest* request) override;

  /// Ends every open stream with UNAVAILABLE (after its write in flight) and refuses new ones.
  /// Call before `grpc::Server::Shutdown`, so clients see a status rather than a cancellation.
  void stop();

  /// Returns the Prometheus text of the stream counters (open streams, slow disconnects).
  std::string metrics_text() const;

  /// What the open calls share with the service; outlives them (see `grpc_server::stop`).
  struct hub;

private:
  std::unique_ptr<hub> hub_;
};

}  // namespace herald
