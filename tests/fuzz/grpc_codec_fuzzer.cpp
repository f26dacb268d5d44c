// libFuzzer target: the gRPC-to-domain codec. The first byte picks a Flovyn request message, the
// rest is its protobuf encoding (any bytes: what does not parse is dropped, as gRPC would);
// `decode` must accept it or answer an error, never crash, whatever the fields hold.

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "api/grpc/grpc_codec.hpp"

using namespace herald;
namespace v1 = flovyn::v1;

namespace {

/// Parses `data` as a `Message` and decodes it with `f`.
template <class Message, class F>
void run(const uint8_t* data, size_t size, F f) {
  Message msg;
  if (msg.ParseFromArray(data, static_cast<int>(size)))
    (void)f(msg);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  static const grpc_settings settings;
  auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(30);
  auto pick = data[0] % 14;
  ++data;
  --size;
  auto with_settings = [](const auto& msg) { return decode(msg, settings); };
  switch (pick) {
    case 0:
      run<v1::WorkerRegistrationRequest>(data, size, with_settings);
      break;
    case 1:
      run<v1::StartWorkflowRequest>(data, size, with_settings);
      break;
    case 2:
      run<v1::PollRequest>(data, size,
                           [&](const auto& msg) { return decode(msg, settings, deadline); });
      break;
    case 3:
      run<v1::PollTaskRequest>(data, size,
                               [&](const auto& msg) { return decode(msg, settings, deadline); });
      break;
    case 4:
      run<v1::SubmitWorkflowCommandsRequest>(data, size, with_settings);
      break;
    case 5:
      run<v1::StreamTaskDataRequest>(data, size, with_settings);
      break;
    case 6:
      run<v1::LogMessageRequest>(data, size, [](const auto& msg) { return decode(msg); });
      break;
    case 7:
      run<v1::SignalWorkflowRequest>(data, size, with_settings);
      break;
    case 8:
      run<v1::SignalWithStartWorkflowRequest>(data, size, with_settings);
      break;
    case 9:
      run<v1::StartChildWorkflowRequest>(data, size, with_settings);
      break;
    case 10:
      run<v1::SubmitTaskRequest>(data, size, with_settings);
      break;
    case 11:
      run<v1::ResolvePromiseRequest>(data, size, with_settings);
      break;
    case 12:
      run<v1::RejectPromiseRequest>(data, size, [](const auto& msg) { return decode(msg); });
      break;
    default:
      (void)decode_promise_ref({reinterpret_cast<const char*>(data), size});
      break;
  }
  return 0;
}
