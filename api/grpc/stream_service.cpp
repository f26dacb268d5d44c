#include "api/grpc/stream_service.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>
#include <caf/send.hpp>

#include "api/grpc/grpc_codec.hpp"
#include "api/grpc/grpc_status.hpp"
#include "api/grpc/stream_sink.hpp"
#include "api/grpc/unary_reactor.hpp"
#include "api/stream_subscription.hpp"
#include "protocol/errors.hpp"
#include "protocol/metrics.hpp"
#include "protocol/records.hpp"
#include "protocol/stream_filter.hpp"

namespace herald {

namespace {

/// A decoded `SubscribeRequest`.
struct subscription {
  std::string org_id;
  stream_owner target = stream_owner::workflow;
  std::string id;
  int64_t after = 0;
  stream_filter filter;
  int64_t expires_ms = 0;  ///< when the stream token that opened it expires; 0 = never
};

caf::error invalid(std::string message) {
  return make_herald_error(herald_errc::invalid_argument, std::move(message));
}

caf::expected<subscription> decode(const v1::SubscribeRequest& x) {
  subscription out;
  auto org = decode_uuid("org_id", x.org_id());
  if (!org)
    return std::move(org.error());
  out.org_id = std::move(*org);
  caf::expected<std::string> id{std::string{}};
  switch (x.target_case()) {
    case v1::SubscribeRequest::kWorkflowExecutionId:
      id = decode_uuid("workflow_execution_id", x.workflow_execution_id());
      out.target = x.consolidated() ? stream_owner::tree : stream_owner::workflow;
      break;
    case v1::SubscribeRequest::kTaskExecutionId:
      if (x.consolidated())
        return invalid("consolidated needs a workflow_execution_id; a task has no descendants");
      id = decode_uuid("task_execution_id", x.task_execution_id());
      out.target = stream_owner::task;
      break;
    case v1::SubscribeRequest::TARGET_NOT_SET:
      return invalid("set workflow_execution_id or task_execution_id");
  }
  if (!id)
    return std::move(id.error());
  out.id = std::move(*id);
  if (x.after() < 0)
    return invalid("after must not be negative");
  out.after = x.after();
  auto filter = stream_filter::parse(x.types());
  if (!filter)
    return std::move(filter.error());
  out.filter = std::move(*filter);
  return out;
}

/// Tells the publisher to stop delivering to `sink`. Thread-safe; a no-op if not subscribed.
void unsubscribe(const engine_client& engine, const subscription& sub,
                 const std::shared_ptr<stream_sink>& sink) {
  unsubscribe_stream(engine, sub.target, sub.id, sink);
}

/// Checks that the target belongs to the org, then subscribes `sink`; any error finishes the
/// call. Runs its callbacks on CAF threads and holds nothing of the reactor but the sink, so a
/// late reply after the call ended only finds a closed sink.
void subscribe(const service_context& context, subscription sub,
               std::shared_ptr<stream_sink> sink) {
  auto engine = context.engine;
  auto on_error = [sink](caf::error& err) { sink->finish(to_grpc_status(err)); };
  auto after = sub.after;
  auto on_subscribed = [engine, sub, sink](caf::ok_atom) {
    // The call may have ended before the subscription was in place; its unsubscribe was a no-op.
    if (sink->closed())
      unsubscribe(engine, sub, sink);
  };
  auto go = [engine, on_error, on_subscribed, after, sub, sink] {
    subscribe_stream(engine, sub.target, sub.id, after, sink, on_subscribed, on_error);
  };
  // Another org's execution or task is reported exactly like a missing one.
  auto not_found = [sink](std::string message) {
    sink->finish(to_grpc_status(make_herald_error(herald_errc::not_found, std::move(message))));
  };
  if (sub.target == stream_owner::task) {
    engine.port->ask(
        engine.registry,
        [go, not_found, sub, sink](task_record& task) {
          if (task.org_id != sub.org_id)
            not_found("task execution " + sub.id + " not found");
          else if (!task.workflow_id.empty())
            not_found("task execution " + sub.id + " is not a standalone task; its events are in "
                      "the stream of workflow execution " + task.workflow_id);
          else if (!sink->closed())
            go();
        },
        on_error, caf::get_atom_v, task_atom_v, sub.id);
    return;
  }
  engine.port->ask(
      engine.registry,
      [go, not_found, sub, sink](workflow_record& record) {
        if (record.org_id != sub.org_id)
          not_found("workflow execution " + sub.id + " not found");
        else if (!sink->closed())
          go();
      },
      on_error, caf::get_atom_v, workflow_atom_v, sub.id);
}

/// The counters of `/_/metrics`; shared with the sinks' overflow handlers.
struct stream_counters {
  std::atomic<int64_t> open{0};
  std::atomic<uint64_t> slow_disconnects{0};

  /// Counts and logs a subscriber cut off for falling `queued_bytes` behind.
  void note_slow_subscriber(const std::string& stream_id, size_t queued_bytes) {
    auto n = ++slow_disconnects;
    spdlog::warn(
        "gRPC subscriber of {} fell {} bytes behind and was disconnected (it resumes after its "
        "last offset); {} so far",
        stream_id, queued_bytes, n);
  }
};

}  // namespace

struct stream_service::hub {
  explicit hub(service_context ctx)
      : context(std::move(ctx)), timer_work(boost::asio::make_work_guard(timers)) {
    timer_thread = std::thread{[this] { timers.run(); }};
  }

  ~hub() {
    timer_work.reset();
    timers.stop();
    timer_thread.join();
  }

  /// Registers an open call; returns false once the service stopped.
  bool join(const std::shared_ptr<stream_sink>& sink) {
    std::lock_guard<std::mutex> guard{mtx};
    if (stopped)
      return false;
    live.emplace(sink.get(), sink);
    ++counters->open;
    return true;
  }

  void leave(const std::shared_ptr<stream_sink>& sink) {
    std::lock_guard<std::mutex> guard{mtx};
    if (live.erase(sink.get()) > 0)
      --counters->open;
  }

  service_context context;
  std::mutex mtx;
  bool stopped = false;
  std::unordered_map<stream_sink*, std::shared_ptr<stream_sink>> live;
  std::shared_ptr<stream_counters> counters = std::make_shared<stream_counters>();
  /// Ends streams whose stream token expires; one thread, idle but for those timers.
  boost::asio::io_context timers;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> timer_work;
  std::thread timer_thread;
};

namespace {

/// One Subscribe call. gRPC calls its reactions; the engine reaches it only through the sink.
/// Deleted in `OnDone`, which gRPC runs once `Finish` has been called and every write is done.
class subscribe_reactor final : public grpc::ServerWriteReactor<v1::StreamEvent> {
public:
  subscribe_reactor(stream_service::hub& hub, subscription sub) : hub_(hub), sub_(std::move(sub)) {
    auto on_overflow = [counters = hub_.counters, id = sub_.id](size_t queued_bytes) {
      counters->note_slow_subscriber(id, queued_bytes);
    };
    sink_ = std::make_shared<stream_sink>(this, hub_.context.settings.stream_queue_bytes,
                                          std::move(sub_.filter), std::move(on_overflow));
    if (!hub_.join(sink_)) {
      sink_->finish(grpc::Status{grpc::StatusCode::UNAVAILABLE, "the server is shutting down"});
      return;
    }
    joined_ = true;
    if (sub_.expires_ms > 0) {
      expiry_ = std::make_shared<boost::asio::steady_timer>(hub_.timers);
      expiry_->expires_after(
          std::chrono::milliseconds{std::max<int64_t>(0, sub_.expires_ms - now_ms())});
      expiry_->async_wait([sink = sink_](boost::system::error_code ec) {
        if (!ec)
          sink->finish(grpc::Status{grpc::StatusCode::UNAUTHENTICATED,
                                    "stream token expired: subscribe again with a new one and "
                                    "`after` set to the offset of the last event received"});
      });
    }
    subscribe(hub_.context, sub_, sink_);
  }

  void OnWriteDone(bool ok) override { sink_->on_write_done(ok); }

  void OnCancel() override { sink_->finish(grpc::Status::CANCELLED); }

  void OnDone() override {
    if (expiry_)
      boost::asio::post(hub_.timers, [timer = expiry_] { timer->cancel(); });
    if (joined_) {
      unsubscribe(hub_.context.engine, sub_, sink_);
      hub_.leave(sink_);
    }
    delete this;
  }

private:
  stream_service::hub& hub_;  ///< outlives every call (the server waits for them)
  subscription sub_;
  std::shared_ptr<stream_sink> sink_;
  std::shared_ptr<boost::asio::steady_timer> expiry_;  ///< used on the timer thread only
  bool joined_ = false;
};

}  // namespace

stream_service::stream_service(service_context context)
    : hub_(std::make_unique<hub>(std::move(context))) {
  // nop
}

stream_service::~stream_service() = default;

grpc::ServerWriteReactor<v1::StreamEvent>* stream_service::Subscribe(
    grpc::CallbackServerContext* ctx, const v1::SubscribeRequest* request) {
  // Stream tokens are welcome here (unlike on the Flovyn RPCs), for their own stream.
  auto who = hub_->context.auth->authenticate(authorization_of(ctx));
  if (!who)
    return new rejected_writer<v1::StreamEvent>(to_grpc_status(who.error()));
  auto sub = decode(*request);
  if (!sub)
    return new rejected_writer<v1::StreamEvent>(to_grpc_status(sub.error()));
  if (auto err = admit_org(*who, sub->org_id))
    return new rejected_writer<v1::StreamEvent>(to_grpc_status(err));
  if (who->stream
      && (who->stream->task != (sub->target == stream_owner::task) || who->stream->id != sub->id))
    return new rejected_writer<v1::StreamEvent>(grpc::Status{
        grpc::StatusCode::PERMISSION_DENIED, "this stream token was minted for another stream"});
  if (who->stream)
    sub->expires_ms = who->stream->expires_ms;
  return new subscribe_reactor(*hub_, std::move(*sub));
}

void stream_service::stop() {
  std::vector<std::shared_ptr<stream_sink>> live;
  {
    std::lock_guard<std::mutex> guard{hub_->mtx};
    hub_->stopped = true;
    for (auto& [ptr, sink] : hub_->live)
      live.push_back(sink);
  }
  for (auto& sink : live)
    sink->finish(grpc::Status{grpc::StatusCode::UNAVAILABLE,
                              "the server is shutting down; subscribe again with `after` set to "
                              "the offset of the last event received"});
}

std::string stream_service::metrics_text() const {
  return herald::metrics_text{}
      .gauge("herald_grpc_streams_open", "gRPC Subscribe streams open now.",
             hub_->counters->open.load())
      .counter("herald_grpc_slow_disconnects_total",
               "gRPC subscribers disconnected for falling behind.",
               hub_->counters->slow_disconnects.load())
      .str();
}

}  // namespace herald
