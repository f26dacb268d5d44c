#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

/// One migration script of a backend, embedded from `persistence/schema/<backend>/NNN_name.sql`.
struct schema_migration {
  int version;            ///< NNN: 1, 2, 3, ... applied in this order, each once
  std::string_view name;  ///< file name without `.sql`
  std::string_view sql;   ///< the script: statements separated by `;`
};

/// Returns the migrations of `backend` ("sqlite3" or "postgresql") ordered by version.
std::span<const schema_migration> schema_migrations(std::string_view backend);

/// Splits a script into its statements: at `;` outside quotes and comments; drops comments and
/// empty statements. Dollar-quoted PostgreSQL bodies are not supported.
std::vector<std::string> split_sql(std::string_view script);

}  // namespace herald
