#pragma once

#include "api/grpc/unary_reactor.hpp"
#include "flovyn/v1/flovyn.grpc.pb.h"

namespace herald {

/// flovyn.v1.TaskExecution: task long polls, results, progress, stream data, heartbeats and
/// logs, cancellation, and the task-scoped key-value state (in `task_state_rpcs.cpp`). The RPC
/// not overridden here (SubmitTask) answers UNIMPLEMENTED.
class task_execution_service final : public flovyn::v1::TaskExecution::CallbackService {
public:
  explicit task_execution_service(service_context context);

  /// Starts a standalone task; answers its id.
  grpc::ServerUnaryReactor* SubmitTask(grpc::CallbackServerContext* ctx,
                                       const flovyn::v1::SubmitTaskRequest* request,
                                       flovyn::v1::SubmitTaskResponse* response) override;

  /// Long-polls a queue; an unset `task` means no work arrived in time.
  grpc::ServerUnaryReactor* PollTask(grpc::CallbackServerContext* ctx,
                                     const flovyn::v1::PollTaskRequest* request,
                                     flovyn::v1::PollTaskResponse* response) override;

  grpc::ServerUnaryReactor* CompleteTask(grpc::CallbackServerContext* ctx,
                                         const flovyn::v1::CompleteTaskRequest* request,
                                         google::protobuf::Empty* response) override;

  grpc::ServerUnaryReactor* FailTask(grpc::CallbackServerContext* ctx,
                                     const flovyn::v1::FailTaskRequest* request,
                                     google::protobuf::Empty* response) override;

  grpc::ServerUnaryReactor* ReportProgress(grpc::CallbackServerContext* ctx,
                                           const flovyn::v1::ReportProgressRequest* request,
                                           google::protobuf::Empty* response) override;

  /// Relays one token/progress/data/error event to the task's workflow stream.
  grpc::ServerUnaryReactor* StreamTaskData(grpc::CallbackServerContext* ctx,
                                           const flovyn::v1::StreamTaskDataRequest* request,
                                           flovyn::v1::StreamTaskDataResponse* response) override;

  grpc::ServerUnaryReactor* Heartbeat(grpc::CallbackServerContext* ctx,
                                      const flovyn::v1::HeartbeatRequest* request,
                                      google::protobuf::Empty* response) override;

  /// PENDING or RUNNING -> CANCELLED; the workflow sees TASK_CANCELLED (and TASK_FAILED).
  grpc::ServerUnaryReactor* CancelTask(grpc::CallbackServerContext* ctx,
                                       const flovyn::v1::CancelTaskRequest* request,
                                       google::protobuf::Empty* response) override;

  grpc::ServerUnaryReactor* LogMessage(grpc::CallbackServerContext* ctx,
                                       const flovyn::v1::LogMessageRequest* request,
                                       google::protobuf::Empty* response) override;

  // -- task-scoped state: keys are non-empty, values JSON of at most 1 MiB --

  /// Answers `found = false` (and no value) for a key that is not set.
  grpc::ServerUnaryReactor* GetState(grpc::CallbackServerContext* ctx,
                                     const flovyn::v1::GetStateRequest* request,
                                     flovyn::v1::GetStateResponse* response) override;

  grpc::ServerUnaryReactor* SetState(grpc::CallbackServerContext* ctx,
                                     const flovyn::v1::SetStateRequest* request,
                                     google::protobuf::Empty* response) override;

  /// Clearing a key that is not set succeeds.
  grpc::ServerUnaryReactor* ClearState(grpc::CallbackServerContext* ctx,
                                       const flovyn::v1::ClearStateRequest* request,
                                       google::protobuf::Empty* response) override;

  grpc::ServerUnaryReactor* ClearAllState(grpc::CallbackServerContext* ctx,
                                          const flovyn::v1::ClearAllStateRequest* request,
                                          google::protobuf::Empty* response) override;

  /// Answers the keys sorted bytewise.
  grpc::ServerUnaryReactor* GetStateKeys(grpc::CallbackServerContext* ctx,
                                         const flovyn::v1::GetStateKeysRequest* request,
                                         flovyn::v1::GetStateKeysResponse* response) override;

private:
  /// Sends `xs...` to the registry (which answers `ok`) once task `id` is known to be in the
  /// caller's org.
  template <class... Ts>
  grpc::ServerUnaryReactor* registry_ok_in_task(const caller& who, const std::string& id,
                                                Ts... xs) {
    return in_org(context_, who, entity::task, id, [this, xs...](auto call) {
      send_engine<caf::ok_atom>(
          context_, call, context_.engine.registry, [](caf::ok_atom) { return grpc::Status::OK; },
          xs...);
    });
  }

  service_context context_;
};

}  // namespace herald
