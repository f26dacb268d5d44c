#pragma once

#include "api/grpc/unary_reactor.hpp"
#include "flovyn/v1/flovyn.grpc.pb.h"

namespace herald {

/// flovyn.v1.WorkflowQuery: queries answered from an execution's recorded state.
class workflow_query_service final : public flovyn::v1::WorkflowQuery::CallbackService {
public:
  explicit workflow_query_service(service_context context);

  /// The JSON value the execution's SET_STATE commands recorded under `query_name`, or `error`
  /// when there is none; NOT_FOUND for an unknown execution (or another org's).
  grpc::ServerUnaryReactor* QueryWorkflow(grpc::CallbackServerContext* ctx,
                                          const flovyn::v1::QueryWorkflowRequest* request,
                                          flovyn::v1::QueryWorkflowResponse* response) override;

private:
  service_context context_;
};

}  // namespace herald
