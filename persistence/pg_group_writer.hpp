#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <soci/soci.h>

#include "persistence/group_rows.hpp"
#include "persistence/rows.hpp"

namespace herald {

/// Writes a whole group commit to PostgreSQL in one statement, so in one round trip: one
/// data-modifying CTE per table that has rows, each taking them from a JSON array parameter
/// (`json_populate_recordset`). The statement runs on its own, outside BEGIN/COMMIT: it is atomic
/// and durable when it returns (with `synchronous_commit` on). Only for groups whose rows are
/// `set_based()`; the rows of each table are distinct by key (see `group_rows`), since one
/// statement must not touch a row twice. Not thread-safe: one per connection.
class pg_group_writer {
public:
  /// The CTEs, in the order of their parameters.
  enum part : size_t {
    orgs,
    new_workflows,
    workflow_updates,
    new_tasks,
    task_updates,
    workers,
    promises,
    attempts,
    events,
    stream_events,
    tree_events,
    tree_heads,
    logs,
    workflow_definitions,
    task_definitions,
    keys,
    part_count
  };

  /// Tunes the planner of `sql`'s session for this statement: use it on the writer's connection.
  explicit pg_group_writer(soci::session& sql);

  /// Writes `rows`, and the consolidated-stream rows placed for them. Throws what SOCI throws;
  /// the statement is then prepared afresh on the next call.
  void write(const group_rows& rows, const std::vector<tree_row>& tree_rows,
             const std::vector<tree_head_row>& heads);

  /// Returns the SQL of the statement that writes the parts whose bits are set in `parts`
  /// (`:p<part>` are their JSON parameters).
  static std::string sql_text(uint32_t parts);

private:
  soci::session& sql_;
  std::array<std::string, part_count> params_;  ///< bound by reference: never resized
  int result_ = 0;
  /// One prepared statement per set of non-empty parts: a CTE without rows still costs its
  /// share of every execution.
  std::unordered_map<uint32_t, std::unique_ptr<soci::statement>> statements_;
};

}  // namespace herald
