#pragma once

#include "api/grpc/unary_reactor.hpp"
#include "flovyn/v1/flovyn.grpc.pb.h"

namespace herald {

/// flovyn.v1.WorkflowDispatch: workflow long polls, starts, history, command batches, promises,
/// signals and child starts. The RPCs not overridden here (notifications, visual definitions,
/// spans) answer UNIMPLEMENTED.
class workflow_dispatch_service final : public flovyn::v1::WorkflowDispatch::CallbackService {
public:
  explicit workflow_dispatch_service(service_context context);

  // -- not implemented yet: UNIMPLEMENTED to authenticated callers --
  grpc::ServerWriteReactor<flovyn::v1::WorkAvailableEvent>* SubscribeToNotifications(
      grpc::CallbackServerContext* ctx, const flovyn::v1::SubscriptionRequest* request) override;
  grpc::ServerUnaryReactor* GetVisualWorkflowDefinitionById(
      grpc::CallbackServerContext* ctx,
      const flovyn::v1::GetVisualWorkflowDefinitionByIdRequest* request,
      flovyn::v1::GetVisualWorkflowDefinitionByIdResponse* response) override;
  grpc::ServerUnaryReactor* ReportExecutionSpans(
      grpc::CallbackServerContext* ctx, const flovyn::v1::ReportExecutionSpansRequest* request,
      flovyn::v1::ReportExecutionSpansResponse* response) override;

  /// Long-polls a queue; an unset `workflow_execution` means no work arrived in time.
  grpc::ServerUnaryReactor* PollWorkflow(grpc::CallbackServerContext* ctx,
                                         const flovyn::v1::PollRequest* request,
                                         flovyn::v1::PollResponse* response) override;

  /// Starts an execution, or returns the one created earlier with the same idempotency key.
  grpc::ServerUnaryReactor* StartWorkflow(grpc::CallbackServerContext* ctx,
                                          const flovyn::v1::StartWorkflowRequest* request,
                                          flovyn::v1::StartWorkflowResponse* response) override;

  /// Returns the full ordered history of an execution.
  grpc::ServerUnaryReactor* GetEvents(grpc::CallbackServerContext* ctx,
                                      const flovyn::v1::GetEventsRequest* request,
                                      flovyn::v1::GetEventsResponse* response) override;

  /// Hands a worker's command batch and reported status to the execution.
  grpc::ServerUnaryReactor* SubmitWorkflowCommands(
      grpc::CallbackServerContext* ctx, const flovyn::v1::SubmitWorkflowCommandsRequest* request,
      google::protobuf::Empty* response) override;

  /// Appends SIGNAL_RECEIVED to a live execution and wakes it; answers the event's sequence.
  grpc::ServerUnaryReactor* SignalWorkflow(grpc::CallbackServerContext* ctx,
                                           const flovyn::v1::SignalWorkflowRequest* request,
                                           flovyn::v1::SignalWorkflowResponse* response) override;

  /// Signals the running execution keyed by `workflow_id`, or starts one and signals it.
  grpc::ServerUnaryReactor* SignalWithStartWorkflow(
      grpc::CallbackServerContext* ctx, const flovyn::v1::SignalWithStartWorkflowRequest* request,
      flovyn::v1::SignalWithStartWorkflowResponse* response) override;

  /// Starts a child of a live execution; answers the child's id.
  grpc::ServerUnaryReactor* StartChildWorkflow(
      grpc::CallbackServerContext* ctx, const flovyn::v1::StartChildWorkflowRequest* request,
      flovyn::v1::StartChildWorkflowResponse* response) override;

  /// Resolves a promise (idempotent: a settled promise answers OK and stays as it is).
  grpc::ServerUnaryReactor* ResolvePromise(grpc::CallbackServerContext* ctx,
                                           const flovyn::v1::ResolvePromiseRequest* request,
                                           google::protobuf::Empty* response) override;

  /// Rejects a promise (idempotent like ResolvePromise).
  grpc::ServerUnaryReactor* RejectPromise(grpc::CallbackServerContext* ctx,
                                          const flovyn::v1::RejectPromiseRequest* request,
                                          google::protobuf::Empty* response) override;

private:
  /// Resolves or rejects; a promise settled earlier answers OK too.
  grpc::ServerUnaryReactor* settle(const caller& who, promise_request req);

  service_context context_;
};

}  // namespace herald
