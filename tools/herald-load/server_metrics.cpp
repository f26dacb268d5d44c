#include "tools/herald-load/server_metrics.hpp"

#include <sstream>
#include <stdexcept>

#include "tools/herald-load/http_get.hpp"

namespace herald::load {

metric_samples parse_metrics(const std::string& text) {
  metric_samples out;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    auto space = line.rfind(' ');
    if (space == std::string::npos || space == 0)
      continue;
    try {
      out[line.substr(0, space)] = std::stod(line.substr(space + 1));
    } catch (const std::exception&) {
      // not a sample
    }
  }
  return out;
}

metric_samples scrape_metrics(const std::string& host, uint16_t port) {
  try {
    return parse_metrics(http_get(host, port, "/_/metrics"));
  } catch (const std::exception&) {
    return {};
  }
}

double metric_delta(const metric_samples& before, const metric_samples& after,
                    const std::string& name) {
  auto b = before.find(name);
  auto a = after.find(name);
  if (a == after.end() || b == before.end())
    return 0;
  return a->second - b->second;
}

}  // namespace herald::load
