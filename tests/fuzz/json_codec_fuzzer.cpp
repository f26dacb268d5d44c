// libFuzzer target: every JSON body the REST API parses, and the JSON helpers behind them
// (depth check, validation, compaction, member lookup). Nothing may crash, overflow the stack
// or leak; a body that parses yields a request the engine could take.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/http/rest_codec.hpp"
#include "protocol/json.hpp"

using namespace herald;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body{reinterpret_cast<const char*>(data), size};
  constexpr size_t max_input = 64 * 1024;
  // What the server does with any JSON it stores: depth first, then validation and compaction.
  if (!json_too_deep(body) && is_valid_json(body)) {
    auto compact = compact_json(body);
    (void)json_string_member(compact, "workflowKind");
    (void)json_int_member(compact, "timeoutMs", 0);
  }
  {
    start_workflow_request out;
    (void)parse_start_request(body, max_input, out);
  }
  {
    signal_request out;
    (void)parse_signal_request(body, max_input, out);
  }
  {
    start_workflow_request start;
    signal_request signal;
    (void)parse_signal_with_start_request(body, max_input, start, signal);
  }
  {
    promise_request out;
    (void)parse_promise_ref(body, out);
    (void)parse_promise_body(body, max_input, out);
  }
  {
    std::string reason;
    (void)parse_optional_text(body, "reason", reason);
  }
  {
    org_record org;
    (void)parse_create_org(body, org);
  }
  {
    submit_task_request out;
    (void)parse_submit_task_request(body, max_input, out);
  }
  (void)quote_json(body);
  return 0;
}
