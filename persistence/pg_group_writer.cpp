#include "persistence/pg_group_writer.hpp"

#include <algorithm>
#include <cstdint>
#include <type_traits>

namespace herald {

namespace {

/// Writes a string without NUL characters: PostgreSQL's text cannot hold them.
void put_string(json_writer& w, const std::string& x) {
  if (x.find('\0') == std::string::npos) {
    w.String(x.data(), static_cast<rapidjson::SizeType>(x.size()));
    return;
  }
  std::string clean;
  std::copy_if(x.begin(), x.end(), std::back_inserter(clean), [](char c) { return c != '\0'; });
  w.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
}

template <class T>
void put(json_writer& w, const T& x) {
  if constexpr (std::is_same_v<T, std::string>)
    put_string(w, x);
  else if constexpr (std::is_floating_point_v<T>)
    w.Double(static_cast<double>(x));
  else
    w.Int64(static_cast<int64_t>(x));
}

/// Renders `items` as a JSON array of objects keyed by column name: every column, or only the
/// changing ones (`changing_columns`).
template <class Row, class Item>
std::string json_rows(const std::vector<const Item*>& items, bool changing_only = false) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartArray();
  Row row;
  auto field = [&](const char* name, const auto& value) {
    w.Key(name);
    put(w, value);
  };
  for (const auto* item : items) {
    encode(*item, row);
    w.StartObject();
    if constexpr (std::is_same_v<Row, workflow_row> || std::is_same_v<Row, task_row>) {
      if (changing_only)
        changing_columns(row, field);
      else
        columns(row, field);
    } else {
      columns(row, field);
    }
    w.EndObject();
  }
  w.EndArray();
  return json_text(buf);
}

/// Renders rows the writer made itself (tree rows and heads).
template <class Row>
std::string json_rows(const std::vector<Row>& rows) {
  std::vector<const Row*> refs;
  refs.reserve(rows.size());
  for (const auto& x : rows)
    refs.push_back(&x);
  return json_rows<Row>(refs);
}

template <class Row>
std::vector<std::string> changing_names() {
  Row row;
  std::vector<std::string> names;
  changing_columns(row, [&](const char* name, auto&) { names.emplace_back(name); });
  return names;
}

/// The rows of parameter `i`, typed as rows of `table`.
std::string source(const std::string& table, size_t i) {
  return "json_populate_recordset(NULL::" + table + ", CAST(:p" + std::to_string(i) + " AS json))";
}

/// `INSERT INTO table (cols) SELECT cols FROM <param>`, with an upsert tail when `key` is set.
template <class Row>
std::string insert_cte(const char* name, const std::string& table, size_t i,
                       const std::vector<std::string>& key = {},
                       const std::vector<std::string>& keep = {}) {
  auto cols = join(column_names<Row>(), ", ");
  std::string sql = std::string{name} + " AS (INSERT INTO " + table + " (" + cols + ") SELECT "
                    + cols + " FROM " + source(table, i);
  if (!key.empty()) {
    sql += " ON CONFLICT (" + join(key, ", ") + ") DO UPDATE SET ";
    bool first = true;
    for (const auto& col : column_names<Row>()) {
      if (std::find(key.begin(), key.end(), col) != key.end()
          || std::find(keep.begin(), keep.end(), col) != keep.end())
        continue;
      sql += first ? "" : ", ";
      first = false;
      sql += col + " = excluded." + col;
    }
  }
  return sql + ")";
}

/// `UPDATE table SET <changing columns> FROM <param> WHERE key matches`.
template <class Row>
std::string update_cte(const char* name, const std::string& table, size_t i) {
  auto names = changing_names<Row>();
  std::string set;
  for (size_t c = 1; c < names.size(); ++c)
    set += (c > 1 ? ", " : "") + names[c] + " = s." + names[c];
  return std::string{name} + " AS (UPDATE " + table + " AS t SET " + set + " FROM "
         + source(table, i) + " AS s WHERE t." + names[0] + " = s." + names[0] + ")";
}

}  // namespace

pg_group_writer::pg_group_writer(soci::session& sql) : sql_(sql) {
  // The statement is planned once (it is large to plan, and its plan does not depend on the rows
  // it is given), and its updates find their rows by primary key: a join that hashes or sorts
  // would scan the whole table, since the planner cannot know that a commit updates few rows.
  sql_ << "SET plan_cache_mode = force_generic_plan";
  sql_ << "SET enable_hashjoin = off";
  sql_ << "SET enable_mergejoin = off";
}

std::string pg_group_writer::sql_text(uint32_t parts) {
  using builder = std::string (*)(size_t);
  // One CTE per part, in the order of the parts.
  static const std::array<builder, part_count> ctes{
      [](size_t i) { return insert_cte<org_record>("o", "organization", i, {"id"}); },
      [](size_t i) { return insert_cte<workflow_row>("wi", "workflow_execution", i); },
      [](size_t i) { return update_cte<workflow_row>("wu", "workflow_execution", i); },
      [](size_t i) { return insert_cte<task_row>("ti", "task_execution", i); },
      [](size_t i) { return update_cte<task_row>("tu", "task_execution", i); },
      [](size_t i) { return insert_cte<worker_row>("wk", "worker", i, {"id"}); },
      [](size_t i) { return insert_cte<promise_row>("pr", "promise", i, {"id"}); },
      [](size_t i) { return insert_cte<attempt_row>("at", "task_attempt", i, {"id"}); },
      [](size_t i) { return insert_cte<keyed_history_event>("he", "workflow_event", i); },
      [](size_t i) { return insert_cte<keyed_stream_event>("se", "stream_event", i); },
      [](size_t i) { return insert_cte<tree_row>("te", "tree_event", i); },
      [](size_t i) { return insert_cte<tree_head_row>("th", "tree_head", i, {"root_id"}); },
      [](size_t i) { return insert_cte<task_log>("lg", "task_log", i); },
      [](size_t i) {
        return insert_cte<definition_row>("wd", "workflow_definition", i, {"org_id", "kind"},
                                          {"created_ms"});
      },
      [](size_t i) {
        return insert_cte<definition_row>("td", "task_definition", i, {"org_id", "kind"},
                                          {"created_ms"});
      },
      [](size_t i) {
        return insert_cte<idempotency_key_record>("ik", "idempotency_key", i, {"org_id", "key"});
      },
  };
  std::vector<std::string> parts_sql;
  for (size_t i = 0; i < part_count; ++i)
    if ((parts & (1u << i)) != 0)
      parts_sql.push_back(ctes[i](i));
  return "WITH " + join(parts_sql, ",\n  ") + "\nSELECT 1";
}

void pg_group_writer::write(const group_rows& rows, const std::vector<tree_row>& tree_rows,
                            const std::vector<tree_head_row>& heads) {
  uint32_t parts = 0;
  auto set = [&](part p, std::string json, bool any) {
    if (!any)
      return;
    params_[p] = std::move(json);
    parts |= 1u << p;
  };
  set(orgs, json_rows<org_record>(rows.orgs), !rows.orgs.empty());
  set(new_workflows, json_rows<workflow_row>(rows.new_workflows), !rows.new_workflows.empty());
  set(workflow_updates, json_rows<workflow_row>(rows.workflow_updates, true),
      !rows.workflow_updates.empty());
  set(new_tasks, json_rows<task_row>(rows.new_tasks), !rows.new_tasks.empty());
  set(task_updates, json_rows<task_row>(rows.task_updates, true), !rows.task_updates.empty());
  set(workers, json_rows<worker_row>(rows.workers), !rows.workers.empty());
  set(promises, json_rows<promise_row>(rows.promises), !rows.promises.empty());
  set(attempts, json_rows<attempt_row>(rows.attempts), !rows.attempts.empty());
  set(events, json_rows<keyed_history_event>(rows.events), !rows.events.empty());
  set(stream_events, json_rows<keyed_stream_event>(rows.stream_events),
      !rows.stream_events.empty());
  set(tree_events, json_rows(tree_rows), !tree_rows.empty());
  set(tree_heads, json_rows(heads), !heads.empty());
  set(logs, json_rows<task_log>(rows.logs), !rows.logs.empty());
  set(workflow_definitions, json_rows<definition_row>(rows.workflow_definitions),
      !rows.workflow_definitions.empty());
  set(task_definitions, json_rows<definition_row>(rows.task_definitions),
      !rows.task_definitions.empty());
  set(keys, json_rows<idempotency_key_record>(rows.keys), !rows.keys.empty());
  if (parts == 0)
    return;
  try {
    auto& st = statements_[parts];
    if (!st) {
      st = std::make_unique<soci::statement>(sql_);
      st->exchange(soci::into(result_));
      for (size_t i = 0; i < part_count; ++i)
        if ((parts & (1u << i)) != 0)
          st->exchange(soci::use(params_[i]));
      st->alloc();
      st->prepare(sql_text(parts));
      st->define_and_bind();
    }
    st->execute(true);
  } catch (...) {
    // SOCI 4.0.3 leaks the buffers of a statement whose execution failed: start afresh.
    statements_.erase(parts);
    for (auto& p : params_)
      p.clear();
    throw;
  }
  for (auto& p : params_)
    p.clear();
}

}  // namespace herald
