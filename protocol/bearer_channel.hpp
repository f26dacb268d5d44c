#pragma once

#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/support/channel_arguments.h>

namespace herald {

/// An insecure channel to `target` whose every call carries `authorization: Bearer <token>`, as
/// the Flovyn SDKs' interceptor sends it (no header when `token` is empty).
std::shared_ptr<grpc::Channel> bearer_channel(const std::string& target, const std::string& token,
                                              const grpc::ChannelArguments& args = {});

}  // namespace herald
