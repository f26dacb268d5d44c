#include "protocol/bearer_channel.hpp"

#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/client_interceptor.h>

namespace herald {

namespace {

namespace exp = grpc::experimental;

/// Adds the bearer header to the initial metadata of each call.
class bearer_interceptor final : public exp::Interceptor {
public:
  explicit bearer_interceptor(const std::string& header) : header_(header) {
    // nop
  }

  void Intercept(exp::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(exp::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA))
      methods->GetSendInitialMetadata()->emplace("authorization", header_);
    methods->Proceed();
  }

private:
  const std::string& header_;  ///< owned by the factory, which outlives the channel's calls
};

class bearer_factory final : public exp::ClientInterceptorFactoryInterface {
public:
  explicit bearer_factory(std::string token) : header_("Bearer " + std::move(token)) {
    // nop
  }

  exp::Interceptor* CreateClientInterceptor(exp::ClientRpcInfo*) override {
    return new bearer_interceptor(header_);
  }

private:
  std::string header_;
};

}  // namespace

std::shared_ptr<grpc::Channel> bearer_channel(const std::string& target, const std::string& token,
                                              const grpc::ChannelArguments& args) {
  if (token.empty())
    return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  std::vector<std::unique_ptr<exp::ClientInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<bearer_factory>(token));
  return exp::CreateCustomChannelWithInterceptors(target, grpc::InsecureChannelCredentials(), args,
                                                  std::move(factories));
}

}  // namespace herald
