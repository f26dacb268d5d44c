#include "protocol/logging.hpp"

#include <chrono>
#include <memory>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "protocol/json.hpp"
#include "protocol/records.hpp"

namespace herald {

namespace {

/// Formats each event as one JSON object per line.
class json_formatter final : public spdlog::formatter {
public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto ts = format_iso8601(
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count());
    auto level = spdlog::level::to_string_view(msg.level);
    auto line
        = json_object{}
              .string("ts", ts)
              .string("level", std::string_view{level.data(), level.size()})
              .string("logger", std::string_view{msg.logger_name.data(), msg.logger_name.size()})
              .string("msg", std::string_view{msg.payload.data(), msg.payload.size()})
              .str();
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>();
  }
};

}  // namespace

void init_logging(const log_settings& settings) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  if (settings.json)
    sink->set_formatter(std::make_unique<json_formatter>());
  else
    sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "%Y-%m-%dT%H:%M:%S.%eZ %l %n: %v", spdlog::pattern_time_type::utc));
  auto logger = std::make_shared<spdlog::logger>("herald", std::move(sink));
  logger->set_level(settings.level);
  // Every line reaches the terminal or the pipe at once (a supervisor reads them live).
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

bool parse_log_level(std::string_view text, spdlog::level::level_enum& out) {
  auto level = spdlog::level::from_str(std::string{text});
  // from_str answers `off` for anything it does not know.
  if (level == spdlog::level::off && text != "off")
    return false;
  out = level;
  return true;
}

}  // namespace herald
