#pragma once

#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace herald {

/// How the server logs (`--log-level`, `--log-format`; parsed in api/config.cpp).
struct log_settings {
  spdlog::level::level_enum level = spdlog::level::info;
  bool json = false;  ///< JSON lines instead of text
};

/// Makes spdlog's default logger herald's: named "herald", one line per event on stderr, either
/// text (`2026-12-08T10:00:00.123Z info herald: ready`, UTC) or JSON lines
/// (`{"ts":"...","level":"info","logger":"herald","msg":"ready"}`). Call once, before any
/// thread logs; the code then logs with `spdlog::info(...)` and friends.
void init_logging(const log_settings& settings);

/// Parses a level name (trace, debug, info, warn, error, critical, off); false if unknown.
bool parse_log_level(std::string_view text, spdlog::level::level_enum& out);

}  // namespace herald
