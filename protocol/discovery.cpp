#include "protocol/discovery.hpp"

namespace herald {

const char* to_string(definition_type x) {
  return x == definition_type::workflow ? "workflow" : "task";
}

const char* worker_status(const worker_record& worker, int64_t now) {
  return now - worker.heartbeat_ms > worker_heartbeat_timeout_ms ? "OFFLINE" : "ONLINE";
}

}  // namespace herald
