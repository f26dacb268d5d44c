#include "protocol/records.hpp"

#include <chrono>

namespace herald {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace herald
