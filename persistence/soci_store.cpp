#include "persistence/soci_store.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "persistence/group_rows.hpp"
#include "persistence/pg_group_writer.hpp"
#include "persistence/rows.hpp"
#include "persistence/schema.hpp"
#include "protocol/state_event.hpp"
#include "protocol/status.hpp"

namespace herald {

store::~store() = default;

std::unique_ptr<store> open_store(const std::string& url) {
  return std::make_unique<soci_store>(url);
}

namespace {

// -- URLs ---------------------------------------------------------------------------------------

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

/// Appends `key=value` to the query part of a URI unless the URI sets `key` already.
void add_uri_parameter(std::string& uri, std::string_view key, std::string_view value) {
  auto query = uri.find('?');
  if (query != std::string::npos) {
    auto params = uri.substr(query + 1);
    std::string needle{key};
    needle += '=';
    for (size_t pos = 0; pos < params.size();) {
      if (params.compare(pos, needle.size(), needle) == 0)
        return;
      auto next = params.find('&', pos);
      if (next == std::string::npos)
        break;
      pos = next + 1;
    }
    if (uri.back() != '?' && uri.back() != '&')
      uri += '&';
  } else {
    uri += '?';
  }
  uri.append(key);
  uri += '=';
  uri.append(value);
}

// -- prepared statements ------------------------------------------------------------------------

/// Prepares `st` for `query` after its into and use elements were added.
void prepare(soci::statement& st, const std::string& query) {
  st.alloc();
  st.prepare(query);
  st.define_and_bind();
}

/// Multi-row INSERT (or upsert by the `key` columns, `id` unless given) statements of one table,
/// prepared on first use for chunk sizes 1, 2, 4, ... `max_chunk`, each with the rows its
/// parameters are bound to. An upsert leaves the `keep` columns of an existing row as they are.
template <class Row>
class table_writer {
public:
  static constexpr size_t max_chunk = 256;

  table_writer(std::string table, bool upsert, std::vector<std::string> key = {"id"},
               std::vector<std::string> keep = {})
      : table_(std::move(table)), upsert_(upsert), key_(std::move(key)), keep_(std::move(keep)) {
    // nop
  }

  /// Drops the prepared statements.
  void clear() { by_size_.clear(); }

  /// Writes `items` with as few statements as the chunk sizes allow.
  template <class Item>
  void write(soci::session& sql, const std::vector<const Item*>& items) {
    size_t done = 0;
    while (done < items.size()) {
      size_t chunk = max_chunk;
      while (chunk > items.size() - done)
        chunk /= 2;
      auto& stmt = statement_for(sql, chunk);
      for (size_t i = 0; i < chunk; ++i)
        encode(*items[done + i], stmt.rows[i]);
      stmt.st.execute(true);
      for (size_t i = 0; i < chunk; ++i)
        stmt.rows[i] = Row{};  // frees large values; the bound objects stay where they are
      done += chunk;
    }
  }

private:
  struct prepared {
    explicit prepared(soci::session& sql, size_t size) : rows(size), st(sql) {
      // nop
    }

    std::vector<Row> rows;  ///< never resized: the statement holds references into it
    soci::statement st;
  };

  prepared& statement_for(soci::session& sql, size_t size) {
    auto i = by_size_.find(size);
    if (i != by_size_.end())
      return *i->second;
    auto names = column_names<Row>();
    std::string query = "INSERT INTO " + table_ + " (" + join(names, ", ") + ") VALUES ";
    for (size_t row = 0; row < size; ++row) {
      query += row == 0 ? "(" : ", (";
      for (size_t col = 0; col < names.size(); ++col) {
        if (col > 0)
          query += ", ";
        query += ":r" + std::to_string(row) + "_" + std::to_string(col);
      }
      query += ')';
    }
    if (upsert_) {
      query += " ON CONFLICT (" + join(key_, ", ") + ") DO UPDATE SET ";
      bool first = true;
      auto listed = [](const std::vector<std::string>& xs, const std::string& x) {
        return std::find(xs.begin(), xs.end(), x) != xs.end();
      };
      for (const auto& name : names) {
        if (listed(key_, name) || listed(keep_, name))
          continue;
        if (!first)
          query += ", ";
        first = false;
        query += name + " = excluded." + name;
      }
    }
    auto stmt = std::make_unique<prepared>(sql, size);
    for (auto& row : stmt->rows)
      columns(row, [&](const char*, auto& field) { stmt->st.exchange(soci::use(field)); });
    prepare(stmt->st, query);
    return *by_size_.emplace(size, std::move(stmt)).first->second;
  }

  std::string table_;
  bool upsert_;
  std::vector<std::string> key_;
  std::vector<std::string> keep_;
  std::map<size_t, std::unique_ptr<prepared>> by_size_;
};

/// Updates the changing columns (`changing_columns`) of existing rows by their key, the first of
/// those columns: one prepared UPDATE, run once per row.
template <class Row>
class row_updater {
public:
  explicit row_updater(std::string table) : table_(std::move(table)) {
    // nop
  }

  /// Drops the prepared statement.
  void clear() { st_.reset(); }

  template <class Item>
  void write(soci::session& sql, const std::vector<const Item*>& items) {
    for (const auto* item : items) {
      encode(*item, row_);
      statement(sql).execute(true);
    }
    row_ = Row{};
  }

private:
  soci::statement& statement(soci::session& sql) {
    if (st_)
      return *st_;
    st_ = std::make_unique<soci::statement>(sql);
    std::string set;
    const char* key = nullptr;
    // Placeholders bind in the order they appear: the SET columns, then the key.
    changing_columns(row_, [&](const char* name, auto& field) {
      if (key == nullptr) {
        key = name;
        return;
      }
      set += set.empty() ? "" : ", ";
      set += std::string{name} + " = :" + name;
      st_->exchange(soci::use(field));
    });
    bool first = true;
    changing_columns(row_, [&](const char*, auto& field) {
      if (std::exchange(first, false))
        st_->exchange(soci::use(field));
    });
    prepare(*st_, "UPDATE " + table_ + " SET " + set + " WHERE " + key + " = :" + key);
    return *st_;
  }

  std::string table_;
  Row row_;  ///< what the statement is bound to
  std::unique_ptr<soci::statement> st_;
};

/// Applies task-state changes one by one, in order, with three statements prepared on first use.
class task_state_writer {
public:
  /// Drops the prepared statements.
  void clear() {
    set_.reset();
    clear_.reset();
    clear_all_.reset();
  }

  void write(soci::session& sql, const std::vector<const task_state_op*>& ops) {
    for (const auto* op : ops) {
      row_ = *op;
      statement_for(sql, op->change).execute(true);
    }
    row_ = task_state_op{};
  }

private:
  soci::statement& statement_for(soci::session& sql, task_state_change change) {
    switch (change) {
      case task_state_change::set:
        if (!set_) {
          set_ = std::make_unique<soci::statement>(sql);
          set_->exchange(soci::use(row_.task_id));
          set_->exchange(soci::use(row_.key));
          set_->exchange(soci::use(row_.value));
          set_->exchange(soci::use(row_.updated_ms));
          prepare(*set_,
                  "INSERT INTO task_state (task_id, state_key, value, updated_ms)"
                  " VALUES (:task_id, :state_key, :value, :updated_ms)"
                  " ON CONFLICT (task_id, state_key) DO UPDATE SET value = excluded.value,"
                  " updated_ms = excluded.updated_ms");
        }
        return *set_;
      case task_state_change::clear:
        if (!clear_) {
          clear_ = std::make_unique<soci::statement>(sql);
          clear_->exchange(soci::use(row_.task_id));
          clear_->exchange(soci::use(row_.key));
          prepare(*clear_,
                  "DELETE FROM task_state WHERE task_id = :task_id AND state_key = :state_key");
        }
        return *clear_;
      case task_state_change::clear_all:
        break;
    }
    if (!clear_all_) {
      clear_all_ = std::make_unique<soci::statement>(sql);
      clear_all_->exchange(soci::use(row_.task_id));
      prepare(*clear_all_, "DELETE FROM task_state WHERE task_id = :task_id");
    }
    return *clear_all_;
  }

  task_state_op row_;  ///< what the statements are bound to
  std::unique_ptr<soci::statement> set_;
  std::unique_ptr<soci::statement> clear_;
  std::unique_ptr<soci::statement> clear_all_;
};

/// Deletes released idempotency keys, each only while it still binds the workflow that released
/// it (a newer claim of the key may have replaced the row already).
class key_release_writer {
public:
  /// Drops the prepared statement.
  void clear() { delete_.reset(); }

  void write(soci::session& sql, const std::vector<const idempotency_key_record*>& keys) {
    for (const auto* key : keys) {
      row_ = *key;
      if (!delete_) {
        delete_ = std::make_unique<soci::statement>(sql);
        delete_->exchange(soci::use(row_.org_id));
        delete_->exchange(soci::use(row_.key));
        delete_->exchange(soci::use(row_.workflow_id));
        delete_->exchange(soci::use(row_.task_id));
        delete_->exchange(soci::use(row_.promise_id));
        prepare(*delete_,
                "DELETE FROM idempotency_key WHERE org_id = :org_id AND key = :key"
                " AND workflow_id = :workflow_id AND task_id = :task_id"
                " AND promise_id = :promise_id");
      }
      delete_->execute(true);
    }
    row_ = idempotency_key_record{};
  }

private:
  idempotency_key_record row_;  ///< what the statement is bound to
  std::unique_ptr<soci::statement> delete_;
};

/// A prepared SELECT: its columns go into `row`, its parameters come from `text` then `numbers`.
template <class Row>
struct select_query {
  select_query(soci::session& sql, size_t text_params, size_t number_params)
      : text(text_params), numbers(number_params), st(sql) {
    // nop
  }

  Row row;
  std::vector<std::string> text;  ///< never resized: the statement holds references into it
  std::vector<int64_t> numbers;   ///< never resized: the statement holds references into it
  soci::statement st;

  /// Runs the query and calls `f(row)` for each result row; always reads to the end so that
  /// SQLite ends the statement's read transaction.
  template <class F>
  void run(F&& f) {
    st.execute();
    while (st.fetch())
      f(row);
  }
};

/// Prepares (once) `SELECT <columns of Row> <rest>`, whose parameters are `text_params` strings
/// followed by `number_params` integers.
template <class Row>
select_query<Row>& lazy_select(std::unique_ptr<select_query<Row>>& q, soci::session& sql,
                               const std::string& rest, size_t text_params,
                               size_t number_params = 0) {
  if (!q) {
    auto fresh = std::make_unique<select_query<Row>>(sql, text_params, number_params);
    columns(fresh->row, [&](const char*, auto& field) { fresh->st.exchange(soci::into(field)); });
    for (auto& x : fresh->text)
      fresh->st.exchange(soci::use(x));
    for (auto& x : fresh->numbers)
      fresh->st.exchange(soci::use(x));
    prepare(fresh->st, "SELECT " + join(column_names<Row>(), ", ") + " " + rest);
    q = std::move(fresh);
  }
  return *q;
}

/// Returns the one row of an id lookup, if any.
template <class Row>
std::optional<Row> first_row(select_query<Row>& q) {
  std::optional<Row> result;
  q.run([&](const Row& row) {
    if (!result)
      result = row;
  });
  return result;
}

/// Returns `'A', 'B'` for the statuses whose terminal flag is `terminal`.
template <class Status, size_t N>
std::string status_list(const std::array<Status, N>& all, bool terminal) {
  std::string result;
  for (auto x : all) {
    if (is_terminal(x) != terminal)
      continue;
    if (!result.empty())
      result += ", ";
    result += '\'';
    result += to_string(x);
    result += '\'';
  }
  return result;
}

constexpr std::array all_workflow_statuses{
    workflow_status::pending,   workflow_status::running, workflow_status::waiting,
    workflow_status::completed, workflow_status::failed,  workflow_status::cancelling,
    workflow_status::cancelled,
};

constexpr std::array all_task_statuses{
    task_status::pending, task_status::running,   task_status::completed,
    task_status::failed,  task_status::cancelled,
};

}  // namespace

database_target parse_database_url(const std::string& url) {
  if (starts_with(url, "postgresql://") || starts_with(url, "postgres://")) {
    auto uri = url;
    add_uri_parameter(uri, "connect_timeout", "10");
    // Engine requests to the store take no timeout of their own: a connection whose server
    // stopped answering fails here instead (unacknowledged data for 30 s, or silence).
    add_uri_parameter(uri, "tcp_user_timeout", "30000");
    add_uri_parameter(uri, "keepalives_idle", "10");
    add_uri_parameter(uri, "keepalives_interval", "5");
    add_uri_parameter(uri, "keepalives_count", "4");
    add_uri_parameter(uri, "application_name", "herald");
    return {"postgresql", uri};
  }
  std::string path;
  if (starts_with(url, "sqlite://"))
    path = url.substr(9);
  else if (starts_with(url, "sqlite:"))
    path = url.substr(7);
  else if (url.find("://") != std::string::npos)
    throw std::invalid_argument("unsupported database URL: " + url);
  else
    path = url;
  if (path.empty())
    throw std::invalid_argument("the database URL names no SQLite file: " + url);
  if (path.find('"') != std::string::npos)
    throw std::invalid_argument("SQLite file names must not contain '\"': " + url);
  // timeout: seconds to wait for a lock held by another connection (the SQLite busy timeout).
  return {"sqlite3", "db=\"" + path + "\" timeout=10"};
}

// -- soci_store ---------------------------------------------------------------------------------

struct soci_store::impl {
  std::string backend;
  soci::session sql;  // declared before the statements: they must go first

  table_writer<org_record> org_writer{"organization", true};
  table_writer<workflow_row> workflow_writer{"workflow_execution", false};
  row_updater<workflow_row> workflow_updater{"workflow_execution"};
  table_writer<task_row> task_writer{"task_execution", false};
  row_updater<task_row> task_updater{"task_execution"};
  table_writer<worker_row> worker_writer{"worker", true};
  table_writer<promise_row> promise_writer{"promise", true};
  table_writer<attempt_row> attempt_writer{"task_attempt", true};
  table_writer<keyed_history_event> event_writer{"workflow_event", false};
  table_writer<keyed_stream_event> stream_writer{"stream_event", false};
  table_writer<tree_row> tree_writer{"tree_event", false};
  table_writer<tree_head_row> tree_head_writer{"tree_head", true, {"root_id"}};
  table_writer<task_log> log_writer{"task_log", false};
  table_writer<definition_row> workflow_definition_writer{
      "workflow_definition", true, {"org_id", "kind"}, {"created_ms"}};
  table_writer<definition_row> task_definition_writer{
      "task_definition", true, {"org_id", "kind"}, {"created_ms"}};
  task_state_writer state_writer;
  table_writer<idempotency_key_record> key_writer{"idempotency_key", true, {"org_id", "key"}};
  key_release_writer key_releaser;
  table_writer<schedule_row> schedule_writer{"schedule", true};
  table_writer<schedule_run_row> schedule_run_writer{"schedule_run", true};
  table_writer<ds_stream_row> ds_stream_writer{"ds_stream", true};

  std::unique_ptr<select_query<org_record>> org_by_slug;
  std::unique_ptr<select_query<org_record>> org_by_id;
  std::unique_ptr<select_query<workflow_row>> workflow_by_id;
  std::unique_ptr<select_query<history_event>> history_of;
  std::unique_ptr<select_query<task_row>> tasks_of;
  std::unique_ptr<select_query<task_row>> task_by_id;
  std::unique_ptr<select_query<stream_event>> stream_of;
  std::unique_ptr<select_query<tree_read_row>> tree_of;
  std::unique_ptr<select_query<number_row>> tree_base;
  std::unique_ptr<select_query<tree_head_row>> tree_head_of;
  std::unique_ptr<select_query<number_row>> stream_last;
  /// Where the consolidated streams written lately stand (a cache of tree_head: the writer is
  /// the only one appending, so it stays true until a transaction fails).
  std::unordered_map<std::string, tree_head_row> tree_heads;

  /// Gives each stream event with a `tree_id` the next offset of its tree and returns the rows
  /// that record it; `offsets` gets one entry per stream event (0 = none), `heads` the new
  /// position of every tree it touched.
  std::vector<tree_row> place_in_trees(const std::vector<write_batch>& batches,
                                       std::vector<int64_t>& offsets,
                                       std::vector<tree_head_row>& heads);

  /// The one-statement writer of PostgreSQL, made on the first commit (SQLite has no round trips
  /// to save).
  std::unique_ptr<pg_group_writer> group_writer;

  /// Writes a group with a statement (or a few) per table, inside the caller's transaction.
  void write_statements(const group_rows& rows, const std::vector<write_batch>& batches,
                        std::vector<int64_t>& tree_offsets);

  /// Drops every prepared write statement and the cached tree heads (after a failure).
  void forget_statements();

  /// Returns a number selected by `q` for `id`.
  int64_t number(std::unique_ptr<select_query<number_row>>& q, const char* expression,
                 const char* rest, const std::string& id);
  std::unique_ptr<select_query<idempotency_key_record>> key_by_name;
  std::unique_ptr<select_query<workflow_row>> active_workflows;
  std::unique_ptr<select_query<task_row>> active_tasks;
  std::unique_ptr<select_query<keyed_history_event>> active_history;
  std::unique_ptr<select_query<task_row>> active_workflow_tasks;
  std::unique_ptr<select_query<worker_row>> worker_by_id;
  std::unique_ptr<select_query<promise_row>> promise_by_id;
  std::unique_ptr<select_query<promise_row>> promise_by_key;
  std::unique_ptr<select_query<task_attempt>> attempts_of;
  std::map<std::string, std::unique_ptr<select_query<task_row>>> task_lists;
  std::map<std::string, std::unique_ptr<select_query<task_log>>> log_lists;

  /// Execution lists and counts, one statement per filter shape (keyed by the query text).
  std::map<std::string, std::unique_ptr<select_query<workflow_row>>> workflow_lists;
  std::map<std::string, std::unique_ptr<select_query<count_row>>> counts;
  std::unique_ptr<select_query<workflow_row>> children_of;
  std::unique_ptr<select_query<history_event>> state_events_of;
  std::unique_ptr<select_query<worker_row>> workers_of;
  std::unique_ptr<select_query<definition_row>> definitions_of[2];
  std::unique_ptr<select_query<definition_row>> definition_by_kind[2];
  std::unique_ptr<select_query<state_value_row>> task_state_value;
  std::unique_ptr<select_query<state_key_row>> task_state_keys;
  std::unique_ptr<select_query<schedule_row>> all_schedules;
  std::unique_ptr<select_query<schedule_row>> schedule_by_id;
  std::unique_ptr<select_query<schedule_row>> schedules_of;
  std::unique_ptr<select_query<schedule_run_row>> running_runs;
  std::unique_ptr<select_query<schedule_run_row>> runs_of;
  std::unique_ptr<select_query<ds_stream_row>> ds_stream_at;
};

std::string open_session(soci::session& sql, const std::string& url) {
  auto target = parse_database_url(url);
  if (target.backend == "postgresql") {
    sql.open(soci::postgresql, target.connect_string);
    // Keeps NOTICEs such as "relation already exists, skipping" off stderr.
    sql << "SET client_min_messages = warning";
  } else {
    sql.open(soci::sqlite3, target.connect_string);
    sql << "PRAGMA journal_mode = WAL";
    sql << "PRAGMA synchronous = FULL";
  }
  return target.backend;
}

soci_store::soci_store(const std::string& url) : impl_(std::make_unique<impl>()) {
  impl_->backend = open_session(impl_->sql, url);
}

soci_store::~soci_store() = default;

std::string soci_store::backend() const {
  return impl_->backend;
}

bool soci_store::connected() const {
  return impl_->sql.is_connected();
}

int soci_store::schema_version() {
  auto& sql = impl_->sql;
  int64_t tables = 0;
  if (impl_->backend == "postgresql")
    sql << "SELECT COUNT(*) FROM information_schema.tables"
           " WHERE table_schema = current_schema() AND table_name = 'schema_version'",
        soci::into(tables);
  else
    sql << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
        soci::into(tables);
  if (tables == 0)
    return 0;
  int version = 0;
  sql << "SELECT COALESCE(MAX(version), 0) FROM schema_version", soci::into(version);
  return version;
}

void soci_store::migrate() {
  auto& sql = impl_->sql;
  auto migrations = schema_migrations(impl_->backend);
  if (migrations.empty())
    throw std::logic_error("no schema migrations embedded for " + impl_->backend);
  sql << "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
         " name TEXT NOT NULL, applied_ms BIGINT NOT NULL)";
  auto current = schema_version();
  auto newest = migrations.back().version;
  if (current > newest)
    throw std::runtime_error("the database schema (version " + std::to_string(current)
                             + ") is newer than this program knows (version "
                             + std::to_string(newest) + ")");
  int previous = 0;
  for (const auto& m : migrations) {
    if (m.version <= previous)
      throw std::logic_error("schema migrations out of order at " + std::string{m.name});
    previous = m.version;
    if (m.version <= current)
      continue;
    soci::transaction tr{sql};
    for (const auto& statement : split_sql(m.sql))
      sql << statement;
    int version = m.version;
    std::string name{m.name};
    int64_t applied = now_ms();
    sql << "INSERT INTO schema_version (version, name, applied_ms) VALUES (:v, :n, :t)",
        soci::use(version), soci::use(name), soci::use(applied);
    tr.commit();
  }
}

int64_t soci_store::impl::number(std::unique_ptr<select_query<number_row>>& q,
                                 const char* expression, const char* rest, const std::string& id) {
  if (!q) {
    auto fresh = std::make_unique<select_query<number_row>>(sql, 1, 0);
    fresh->st.exchange(soci::into(fresh->row.value));
    fresh->st.exchange(soci::use(fresh->text[0]));
    prepare(fresh->st, std::string{"SELECT COALESCE("} + expression + ", 0) " + rest);
    q = std::move(fresh);
  }
  q->text[0] = id;
  q->row.value = 0;
  int64_t result = 0;
  q->run([&](const number_row& row) { result = row.value; });
  return result;
}

std::vector<tree_row> soci_store::impl::place_in_trees(const std::vector<write_batch>& batches,
                                                       std::vector<int64_t>& offsets,
                                                       std::vector<tree_head_row>& heads) {
  std::vector<tree_row> rows;
  // Most commits touch no tree: they need no bookkeeping on the hot path.
  size_t events = 0;
  bool any_tree = false;
  for (const auto& batch : batches) {
    events += batch.stream_events.size();
    for (const auto& x : batch.stream_events)
      any_tree = any_tree || !x.tree_id.empty();
  }
  if (!any_tree) {
    offsets.assign(events, 0);
    return rows;
  }
  constexpr size_t max_cached_trees = 65536;
  if (tree_heads.size() > max_cached_trees)
    tree_heads.clear();
  // The own-stream offsets this transaction writes before a tree's first row: the tree starts
  // after them, since until then the root's own stream is the tree's stream.
  std::unordered_map<std::string_view, int64_t> pending;
  std::unordered_map<std::string_view, tree_head_row*> touched;
  for (const auto& batch : batches) {
    for (const auto& x : batch.stream_events) {
      int64_t placed = 0;
      if (!x.tree_id.empty()) {
        auto i = tree_heads.find(x.tree_id);
        if (i == tree_heads.end()) {
          auto& q = lazy_select(tree_head_of, sql, "FROM tree_head WHERE root_id = :r", 1);
          q.text[0] = x.tree_id;
          auto head = first_row(q);
          if (!head) {
            head = tree_head_row{x.tree_id, 0, 0};
            head->base_offset = number(stream_last, "MAX(offset_)",
                                       "FROM stream_event WHERE stream_id = :s", x.tree_id);
            if (auto p = pending.find(x.tree_id); p != pending.end())
              head->base_offset = std::max(head->base_offset, p->second);
            head->last_offset = head->base_offset;
          }
          i = tree_heads.emplace(x.tree_id, *head).first;
        }
        placed = ++i->second.last_offset;
        touched[i->first] = &i->second;
        rows.push_back(tree_row{x.tree_id, placed, x.stream_id, x.event.offset});
      }
      offsets.push_back(placed);
      auto& last = pending[x.stream_id];
      last = std::max(last, x.event.offset);
    }
  }
  for (const auto& [root, head] : touched)
    heads.push_back(*head);
  return rows;
}

/// Returns whether a failed statement was refused because a new execution or task would take
/// an id that exists: a conflict of the batch's content (ids that clients choose), not a failure
/// of the database or of the engine.
bool is_conflict(const soci::soci_error& e, const std::string& backend) {
  // SOCI appends the statement's text; only the database's own message names the constraint.
  std::string_view what{e.what()};
  what = what.substr(0, what.find(" while executing"));
  bool on_ids = what.find("workflow_execution") != std::string_view::npos
                || what.find("task_execution") != std::string_view::npos;
  if (backend == "postgresql")
    return on_ids && e.get_error_category() == soci::soci_error::constraint_violation;
  // SQLite reports no category (SOCI 4.0.3): its message names the constraint.
  return on_ids && what.find("UNIQUE constraint failed") != std::string_view::npos;
}

void soci_store::impl::write_statements(const group_rows& rows,
                                        const std::vector<write_batch>& batches,
                                        std::vector<int64_t>& tree_offsets) {
  org_writer.write(sql, rows.orgs);
  workflow_writer.write(sql, rows.new_workflows);
  workflow_updater.write(sql, rows.workflow_updates);
  task_writer.write(sql, rows.new_tasks);
  task_updater.write(sql, rows.task_updates);
  worker_writer.write(sql, rows.workers);
  promise_writer.write(sql, rows.promises);
  attempt_writer.write(sql, rows.attempts);
  event_writer.write(sql, rows.events);
  std::vector<tree_head_row> heads;
  auto tree_rows = place_in_trees(batches, tree_offsets, heads);
  stream_writer.write(sql, rows.stream_events);
  std::vector<const tree_row*> tree_refs;
  for (const auto& row : tree_rows)
    tree_refs.push_back(&row);
  tree_writer.write(sql, tree_refs);
  std::vector<const tree_head_row*> head_refs;
  for (const auto& head : heads)
    head_refs.push_back(&head);
  tree_head_writer.write(sql, head_refs);
  log_writer.write(sql, rows.logs);
  workflow_definition_writer.write(sql, rows.workflow_definitions);
  task_definition_writer.write(sql, rows.task_definitions);
  state_writer.write(sql, rows.task_state);
  if (auto purge_before = rows.purge_keys_expired_by_ms; purge_before > 0)
    sql << "DELETE FROM idempotency_key WHERE expires_ms <= :t", soci::use(purge_before);
  key_releaser.write(sql, rows.released_keys);
  key_writer.write(sql, rows.keys);
  schedule_writer.write(sql, rows.schedules);
  schedule_run_writer.write(sql, rows.schedule_runs);
  for (const auto* id : rows.deleted_schedules) {
    sql << "DELETE FROM schedule_run WHERE schedule_id = :id", soci::use(*id);
    sql << "DELETE FROM schedule WHERE id = :id", soci::use(*id);
  }
  // Deletes before upserts: a stream created again at its path takes the path's unique key.
  for (const auto* id : rows.deleted_ds_streams) {
    sql << "DELETE FROM stream_event WHERE stream_id = :id", soci::use(*id);
    sql << "DELETE FROM ds_stream WHERE id = :id", soci::use(*id);
  }
  ds_stream_writer.write(sql, rows.ds_streams);
}

void soci_store::impl::forget_statements() {
  tree_heads.clear();
  tree_writer.clear();
  tree_head_writer.clear();
  tree_head_of.reset();
  stream_last.reset();
  // SOCI 4.0.3 (PostgreSQL) leaks the parameter buffers of a statement whose execution failed
  // unless the statement is destroyed: start afresh.
  org_writer.clear();
  workflow_writer.clear();
  workflow_updater.clear();
  task_writer.clear();
  task_updater.clear();
  worker_writer.clear();
  promise_writer.clear();
  attempt_writer.clear();
  event_writer.clear();
  stream_writer.clear();
  log_writer.clear();
  workflow_definition_writer.clear();
  task_definition_writer.clear();
  state_writer.clear();
  key_writer.clear();
  key_releaser.clear();
  schedule_writer.clear();
  schedule_run_writer.clear();
  ds_stream_writer.clear();
}

std::vector<int64_t> soci_store::commit(const std::vector<write_batch>& batches) {
  std::vector<int64_t> tree_offsets;
  if (std::all_of(batches.begin(), batches.end(), [](const auto& b) { return b.empty(); }))
    return tree_offsets;
  auto& d = *impl_;
  group_rows rows{batches};
  try {
    if (d.backend == "postgresql" && rows.set_based()) {
      if (!d.group_writer)
        d.group_writer = std::make_unique<pg_group_writer>(d.sql);
      // One statement, one round trip. The writer is the only one that appends to trees, so
      // their heads may be read before it, outside a transaction.
      std::vector<tree_head_row> heads;
      auto tree_rows = d.place_in_trees(batches, tree_offsets, heads);
      d.group_writer->write(rows, tree_rows, heads);
      return tree_offsets;
    }
    soci::transaction tr{d.sql};
    d.write_statements(rows, batches, tree_offsets);
    tr.commit();
  } catch (const soci::soci_error& e) {
    // Rolled back by now.
    d.forget_statements();
    if (is_conflict(e, d.backend))
      throw store_conflict(e.what());
    throw;
  } catch (...) {
    d.forget_statements();
    throw;
  }
  return tree_offsets;
}

std::optional<org_record> soci_store::find_org_by_slug(const std::string& slug) {
  auto& q = lazy_select(impl_->org_by_slug, impl_->sql, "FROM organization WHERE slug = :slug", 1);
  q.text[0] = slug;
  return first_row(q);
}

std::optional<org_record> soci_store::find_org_by_id(const std::string& id) {
  auto& q = lazy_select(impl_->org_by_id, impl_->sql, "FROM organization WHERE id = :id", 1);
  q.text[0] = id;
  return first_row(q);
}

std::optional<workflow_record> soci_store::load_workflow(const std::string& id) {
  auto& q
      = lazy_select(impl_->workflow_by_id, impl_->sql, "FROM workflow_execution WHERE id = :id", 1);
  q.text[0] = id;
  if (auto row = first_row(q))
    return decode(*row);
  return std::nullopt;
}

std::vector<history_event> soci_store::load_history(const std::string& workflow_id) {
  auto& q
      = lazy_select(impl_->history_of, impl_->sql,
                    "FROM workflow_event WHERE workflow_id = :workflow_id ORDER BY sequence", 1);
  q.text[0] = workflow_id;
  std::vector<history_event> result;
  q.run([&](const history_event& x) { result.push_back(x); });
  return result;
}

std::vector<task_record> soci_store::load_tasks(const std::string& workflow_id) {
  std::vector<task_record> result;
  if (workflow_id.empty())
    return result;
  auto& q = lazy_select(impl_->tasks_of, impl_->sql,
                        "FROM task_execution WHERE workflow_id = :workflow_id"
                        " ORDER BY created_ms, ord",
                        1);
  q.text[0] = workflow_id;
  q.run([&](const task_row& row) { result.push_back(decode(row)); });
  return result;
}

std::optional<task_record> soci_store::load_task(const std::string& id) {
  auto& q = lazy_select(impl_->task_by_id, impl_->sql, "FROM task_execution WHERE id = :id", 1);
  q.text[0] = id;
  if (auto row = first_row(q))
    return decode(*row);
  return std::nullopt;
}

std::vector<stream_event> soci_store::load_stream(const std::string& stream_id, int64_t after,
                                                  int64_t limit) {
  std::vector<stream_event> result;
  if (limit <= 0)
    return result;
  auto& q = lazy_select(impl_->stream_of, impl_->sql,
                        "FROM stream_event WHERE stream_id = :stream_id AND offset_ > :after"
                        " ORDER BY offset_ LIMIT :lim",
                        1, 2);
  q.text[0] = stream_id;
  q.numbers[0] = after;
  q.numbers[1] = limit;
  q.run([&](const stream_event& x) { result.push_back(x); });
  return result;
}

std::vector<stream_event> soci_store::load_tree(const std::string& root_id, int64_t after,
                                                int64_t limit) {
  std::vector<stream_event> result;
  if (limit <= 0)
    return result;
  auto& d = *impl_;
  // Up to its base, the tree's stream is the root's own; a root without a tree_head row has no
  // children, and its own stream is the whole tree.
  auto base_plus_one
      = d.number(d.tree_base, "MAX(base_offset) + 1", "FROM tree_head WHERE root_id = :r", root_id);
  auto base = base_plus_one - 1;
  if (base_plus_one == 0 || after < base) {
    for (auto& ev : load_stream(root_id, after, limit)) {
      if (base_plus_one != 0 && ev.offset > base)
        break;
      auto offset = ev.offset;
      result.push_back(tree_stream_event(root_id, std::move(ev), offset));
    }
    if (base_plus_one == 0 || static_cast<int64_t>(result.size()) == limit)
      return result;
    after = base;
  }
  auto& q = lazy_select(d.tree_of, d.sql,
                        "FROM tree_event t JOIN stream_event s ON s.stream_id = t.workflow_id"
                        " AND s.offset_ = t.source_offset WHERE t.root_id = :root"
                        " AND t.offset_ > :after ORDER BY t.offset_ LIMIT :lim",
                        1, 2);
  q.text[0] = root_id;
  q.numbers[0] = after;
  q.numbers[1] = limit - static_cast<int64_t>(result.size());
  q.run([&](const tree_read_row& row) {
    result.push_back(tree_stream_event(row.workflow_id, row.event, row.offset));
  });
  return result;
}

namespace {

/// `FROM ... WHERE ...` of the executions that finished in [:from_ms, :before_ms).
std::string finished_executions() {
  return " FROM workflow_execution WHERE completed_ms >= :from_ms AND completed_ms < :before_ms"
         " AND completed_ms > 0 AND status IN ("
         + status_list(all_workflow_statuses, true) + ")";
}

/// `FROM ... WHERE ...` of the standalone tasks that finished in [:from_ms, :before_ms).
std::string finished_standalone_tasks() {
  return " FROM task_execution WHERE workflow_id = '' AND completed_ms >= :from_ms"
         " AND completed_ms < :before_ms AND completed_ms > 0 AND status IN ("
         + status_list(all_task_statuses, true) + ")";
}

}  // namespace

int64_t soci_store::prune_streams(int64_t from_ms, int64_t before_ms) {
  auto& sql = impl_->sql;
  soci::transaction tr{sql};
  int64_t removed = 0;
  auto run = [&](const std::string& statement) {
    soci::statement st = (sql.prepare << statement, soci::use(from_ms, "from_ms"),
                          soci::use(before_ms, "before_ms"));
    st.execute(true);
    removed += st.get_affected_rows();
  };
  run("DELETE FROM tree_event WHERE root_id IN (SELECT id" + finished_executions() + ")");
  run("DELETE FROM stream_event WHERE stream_id IN (SELECT id" + finished_executions() + ")");
  run("DELETE FROM stream_event WHERE stream_id IN (SELECT id" + finished_standalone_tasks() + ")");
  tr.commit();
  return removed;
}

int64_t soci_store::prune_window_end(int64_t from_ms, int64_t before_ms, int64_t limit) {
  auto& sql = impl_->sql;
  // The finish time of the first row past `limit`: the window ends there (or just after
  // `from_ms`, when more than `limit` rows finished in that one millisecond).
  auto end_for = [&](const std::string& rows) {
    int64_t at = 0;
    soci::indicator ind = soci::i_null;
    sql << "SELECT completed_ms" + rows + " ORDER BY completed_ms LIMIT 1 OFFSET "
               + std::to_string(std::max<int64_t>(limit, 1)),
        soci::use(from_ms, "from_ms"), soci::use(before_ms, "before_ms"), soci::into(at, ind);
    return sql.got_data() && ind == soci::i_ok ? std::max(at, from_ms + 1) : before_ms;
  };
  return std::min(
      {before_ms, end_for(finished_executions()), end_for(finished_standalone_tasks())});
}

std::optional<idempotency_key_record> soci_store::find_idempotency_key(const std::string& org_id,
                                                                       const std::string& key,
                                                                       int64_t now_ms) {
  if (key.empty())
    return std::nullopt;
  auto& q = lazy_select(impl_->key_by_name, impl_->sql,
                        "FROM idempotency_key WHERE org_id = :org_id AND key = :key"
                        " AND expires_ms > :now",
                        2, 1);
  q.text[0] = org_id;
  q.text[1] = key;
  q.numbers[0] = now_ms;
  return first_row(q);
}

active_state soci_store::load_active() {
  auto& d = *impl_;
  // completed_ms = 0 selects the unfinished rows by a partial index (the status is not indexed,
  // so that steps update rows in place).
  auto unfinished = "FROM workflow_execution WHERE completed_ms = 0 AND status IN ("
                    + status_list(all_workflow_statuses, false) + ")";
  auto& workflows
      = lazy_select(d.active_workflows, d.sql, unfinished + " ORDER BY created_ms, id", 0);
  // Their histories and tasks in one query each, not one per execution: a start-up with many
  // unfinished executions serves again in seconds.
  auto& history = lazy_select(d.active_history, d.sql,
                              "FROM workflow_event WHERE workflow_id IN (SELECT id " + unfinished
                                  + ") ORDER BY workflow_id, sequence",
                              0);
  auto& workflow_tasks = lazy_select(d.active_workflow_tasks, d.sql,
                                     "FROM task_execution WHERE workflow_id IN (SELECT id "
                                         + unfinished + ") ORDER BY created_ms, ord",
                                     0);
  auto& tasks
      = lazy_select(d.active_tasks, d.sql,
                    "FROM task_execution WHERE completed_ms = 0 AND status IN ("
                        + status_list(all_task_statuses, false) + ") ORDER BY created_ms, ord",
                    0);
  active_state result;
  workflows.run([&](const workflow_row& row) { result.workflows.push_back(decode(row)); });
  history.run([&](const keyed_history_event& x) { result.history.push_back(x); });
  workflow_tasks.run([&](const task_row& row) { result.workflow_tasks.push_back(decode(row)); });
  tasks.run([&](const task_row& row) { result.tasks.push_back(decode(row)); });
  return result;
}

std::optional<worker_record> soci_store::load_worker(const std::string& id) {
  auto& q = lazy_select(impl_->worker_by_id, impl_->sql, "FROM worker WHERE id = :id", 1);
  q.text[0] = id;
  if (auto row = first_row(q))
    return decode(*row);
  return std::nullopt;
}

std::optional<promise_record> soci_store::load_promise(const std::string& id) {
  auto& q = lazy_select(impl_->promise_by_id, impl_->sql, "FROM promise WHERE id = :id", 1);
  q.text[0] = id;
  if (auto row = first_row(q))
    return decode(*row);
  return std::nullopt;
}

std::optional<promise_record> soci_store::find_promise_by_idempotency_key(const std::string& org_id,
                                                                          const std::string& key,
                                                                          int64_t now_ms) {
  if (key.empty())
    return std::nullopt;
  auto& q = lazy_select(impl_->promise_by_key, impl_->sql,
                        "FROM promise WHERE org_id = :org_id AND id = (SELECT promise_id"
                        " FROM idempotency_key WHERE org_id = :key_org AND key = :key"
                        " AND expires_ms > :now AND promise_id <> '')",
                        3, 1);
  q.text[0] = org_id;
  q.text[1] = org_id;
  q.text[2] = key;
  q.numbers[0] = now_ms;
  if (auto row = first_row(q))
    return decode(*row);
  return std::nullopt;
}

// -- reads of the REST API, discovery and task state -------------------------------------------

namespace {

/// Returns the prepared query of `cache` for `rest` (one per query text), preparing it once.
template <class Row>
select_query<Row>& cached_select(std::map<std::string, std::unique_ptr<select_query<Row>>>& cache,
                                 soci::session& sql, const std::string& rest, size_t text_params,
                                 size_t number_params = 0) {
  return lazy_select(cache[rest], sql, rest, text_params, number_params);
}

/// Runs a COUNT(*) query whose text parameters are `text`.
int64_t count_of(select_query<count_row>& q, const std::vector<std::string>& text) {
  std::copy(text.begin(), text.end(), q.text.begin());
  int64_t result = 0;
  q.run([&](const count_row& row) { result = row.count; });
  return result;
}

const char* definition_table(definition_type type) {
  return type == definition_type::workflow ? "workflow_definition" : "task_definition";
}

/// Reads one page of the rows that `where` (one text parameter, `key`) selects, in `order`:
/// calls `on_row` for each and returns how many rows `where` selects in all.
template <class Row, class OnRow>
int64_t select_page(soci::session& sql,
                    std::map<std::string, std::unique_ptr<select_query<count_row>>>& counts,
                    std::unique_ptr<select_query<Row>>& q, const std::string& where,
                    const char* order, const std::string& key, int64_t limit, int64_t offset,
                    OnRow on_row) {
  auto total = count_of(cached_select(counts, sql, where, 1), {key});
  if (limit <= 0 || offset >= total)
    return total;
  auto& page = lazy_select(q, sql, where + " ORDER BY " + order + " LIMIT :lim OFFSET :off", 1, 2);
  page.text[0] = key;
  page.numbers[0] = limit;
  page.numbers[1] = offset;
  page.run(on_row);
  return total;
}

}  // namespace

workflow_page soci_store::list_workflows(const workflow_query& query) {
  auto& d = *impl_;
  std::string where = "FROM workflow_execution WHERE org_id = :org_id";
  std::vector<std::string> text{query.org_id};
  if (!query.kind.empty()) {
    where += " AND kind = :kind";
    text.push_back(query.kind);
  }
  if (query.has_status) {
    where += " AND status = :status";
    text.emplace_back(to_string(query.status));
  }
  for (size_t i = 0; i < query.metadata.size(); ++i) {
    const auto& [key, value] = query.metadata[i];
    auto n = std::to_string(i);
    if (d.backend == "postgresql") {
      // Served by the GIN index on CAST(metadata AS jsonb).
      where += " AND CAST(metadata AS jsonb) @> CAST(:m" + n + " AS jsonb)";
      text.push_back(to_json(std::map<std::string, std::string>{{key, value}}));
    } else {
      where += " AND EXISTS (SELECT 1 FROM json_each(workflow_execution.metadata) AS m"
               " WHERE m.key = :k"
               + n + " AND m.value = :v" + n + ")";
      text.push_back(key);
      text.push_back(value);
    }
  }
  workflow_page page;
  page.total = count_of(cached_select(d.counts, d.sql, where, text.size()), text);
  if (query.limit <= 0 || query.offset >= page.total)
    return page;
  auto& q = cached_select(d.workflow_lists, d.sql,
                          where + " ORDER BY created_ms DESC, id DESC LIMIT :lim OFFSET :off",
                          text.size(), 2);
  std::copy(text.begin(), text.end(), q.text.begin());
  q.numbers[0] = query.limit;
  q.numbers[1] = query.offset;
  q.run([&](const workflow_row& row) { page.workflows.push_back(decode(row)); });
  return page;
}

std::vector<workflow_record> soci_store::load_children(const std::string& parent_id) {
  std::vector<workflow_record> result;
  if (parent_id.empty())
    return result;
  auto& q = lazy_select(impl_->children_of, impl_->sql,
                        "FROM workflow_execution WHERE parent_id = :parent_id"
                        " AND parent_id <> '' ORDER BY created_ms, id",
                        1);
  q.text[0] = parent_id;
  q.run([&](const workflow_row& row) { result.push_back(decode(row)); });
  return result;
}

std::vector<history_event> soci_store::load_state_events(const std::string& workflow_id) {
  auto& q = lazy_select(impl_->state_events_of, impl_->sql,
                        "FROM workflow_event WHERE workflow_id = :workflow_id"
                        " AND type IN ('STATE_SET', 'STATE_CLEARED') ORDER BY sequence",
                        1);
  q.text[0] = workflow_id;
  std::vector<history_event> result;
  q.run([&](const history_event& x) { result.push_back(x); });
  return result;
}

worker_page soci_store::list_workers(const std::string& org_id, int64_t limit, int64_t offset) {
  auto& d = *impl_;
  worker_page page;
  page.total = select_page(d.sql, d.counts, d.workers_of, "FROM worker WHERE org_id = :org_id",
                           "heartbeat_ms DESC, id", org_id, limit, offset,
                           [&](const worker_row& row) { page.workers.push_back(decode(row)); });
  return page;
}

std::vector<definition_record> soci_store::list_definitions(definition_type type,
                                                            const std::string& org_id) {
  auto i = static_cast<size_t>(type);
  auto& q = lazy_select(
      impl_->definitions_of[i], impl_->sql,
      std::string{"FROM "} + definition_table(type) + " WHERE org_id = :org_id ORDER BY kind", 1);
  q.text[0] = org_id;
  std::vector<definition_record> result;
  q.run([&](const definition_row& row) { result.push_back(decode(row)); });
  // Byte order on both backends (PostgreSQL's ORDER BY follows the database's collation).
  std::sort(result.begin(), result.end(),
            [](const auto& x, const auto& y) { return x.kind < y.kind; });
  return result;
}

std::optional<definition_record> soci_store::find_definition(definition_type type,
                                                             const std::string& org_id,
                                                             const std::string& kind) {
  auto i = static_cast<size_t>(type);
  auto& q = lazy_select(
      impl_->definition_by_kind[i], impl_->sql,
      std::string{"FROM "} + definition_table(type) + " WHERE org_id = :org_id AND kind = :kind",
      2);
  q.text[0] = org_id;
  q.text[1] = kind;
  if (auto row = first_row(q))
    return decode(*row);
  return std::nullopt;
}

std::optional<std::string> soci_store::load_task_state(const std::string& task_id,
                                                       const std::string& key) {
  auto& q = lazy_select(impl_->task_state_value, impl_->sql,
                        "FROM task_state WHERE task_id = :task_id AND state_key = :state_key", 2);
  q.text[0] = task_id;
  q.text[1] = key;
  if (auto row = first_row(q))
    return row->value;
  return std::nullopt;
}

std::vector<std::string> soci_store::load_task_state_keys(const std::string& task_id) {
  auto& q = lazy_select(impl_->task_state_keys, impl_->sql,
                        "FROM task_state WHERE task_id = :task_id ORDER BY state_key", 1);
  q.text[0] = task_id;
  std::vector<std::string> result;
  q.run([&](const state_key_row& row) { result.push_back(row.key); });
  std::sort(result.begin(), result.end());  // byte order on both backends
  return result;
}

std::vector<task_attempt> soci_store::load_attempts(const std::string& task_id) {
  auto& q = lazy_select(impl_->attempts_of, impl_->sql,
                        "FROM task_attempt WHERE task_id = :task_id ORDER BY attempt", 1);
  q.text[0] = task_id;
  std::vector<task_attempt> result;
  q.run([&](const task_attempt& x) { result.push_back(x); });
  return result;
}

task_page soci_store::list_standalone_tasks(const task_query& query) {
  auto& d = *impl_;
  std::string where = "FROM task_execution WHERE org_id = :org_id AND workflow_id = ''";
  std::vector<std::string> text{query.org_id};
  if (query.has_status) {
    where += " AND status = :status";
    text.emplace_back(to_string(query.status));
  }
  if (!query.queue.empty()) {
    where += " AND queue = :queue";
    text.push_back(query.queue);
  }
  if (!query.kind.empty()) {
    where += " AND kind = :kind";
    text.push_back(query.kind);
  }
  task_page page;
  page.total = count_of(cached_select(d.counts, d.sql, where, text.size()), text);
  if (query.limit <= 0 || query.offset >= page.total)
    return page;
  auto& q = cached_select(d.task_lists, d.sql,
                          where + " ORDER BY created_ms DESC, ord DESC LIMIT :lim OFFSET :off",
                          text.size(), 2);
  std::copy(text.begin(), text.end(), q.text.begin());
  q.numbers[0] = query.limit;
  q.numbers[1] = query.offset;
  q.run([&](const task_row& row) { page.tasks.push_back(decode(row)); });
  return page;
}

log_page soci_store::list_logs(const log_query& query) {
  auto& d = *impl_;
  std::string where = "FROM task_log WHERE task_id = :task_id";
  std::vector<std::string> text{query.task_id};
  if (!query.level.empty()) {
    where += " AND level = :level";
    text.push_back(query.level);
  }
  log_page page;
  page.total = count_of(cached_select(d.counts, d.sql, where, text.size()), text);
  if (query.limit <= 0 || query.offset >= page.total)
    return page;
  auto& q = cached_select(d.log_lists, d.sql, where + " ORDER BY id LIMIT :lim OFFSET :off",
                          text.size(), 2);
  std::copy(text.begin(), text.end(), q.text.begin());
  q.numbers[0] = query.limit;
  q.numbers[1] = query.offset;
  q.run([&](const task_log& x) { page.logs.push_back(x); });
  return page;
}

bool is_storage_full(const std::exception& e) {
  if (const auto* lite = dynamic_cast<const soci::sqlite3_soci_error*>(&e))
    return (lite->result() & 0xff) == 13;  // SQLITE_FULL, also in its extended codes
  if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&e))
    return pg->sqlstate() == "53100";  // disk_full
  // SOCI reports some failures (e.g. of COMMIT) with the backend's text only.
  std::string_view what{e.what()};
  return what.find("database or disk is full") != std::string_view::npos
         || what.find("No space left on device") != std::string_view::npos;
}

// -- schedules ----------------------------------------------------------------------------------

std::vector<schedule_record> soci_store::load_schedules() {
  auto& q
      = lazy_select(impl_->all_schedules, impl_->sql, "FROM schedule ORDER BY created_ms, id", 0);
  std::vector<schedule_record> result;
  q.run([&](const schedule_row& row) { result.push_back(decode(row)); });
  return result;
}

std::vector<schedule_run_record> soci_store::load_running_schedule_runs() {
  auto& q = lazy_select(impl_->running_runs, impl_->sql,
                        "FROM schedule_run WHERE status = 'running' ORDER BY created_ms, id", 0);
  std::vector<schedule_run_record> result;
  q.run([&](const schedule_run_row& row) { result.push_back(decode(row)); });
  return result;
}

std::optional<schedule_record> soci_store::load_schedule(const std::string& id) {
  auto& q = lazy_select(impl_->schedule_by_id, impl_->sql, "FROM schedule WHERE id = :id", 1);
  q.text[0] = id;
  if (auto row = first_row(q))
    return decode(*row);
  return std::nullopt;
}

schedule_page soci_store::list_schedules(const std::string& org_id, int64_t limit, int64_t offset) {
  auto& d = *impl_;
  schedule_page page;
  page.total = select_page(d.sql, d.counts, d.schedules_of, "FROM schedule WHERE org_id = :org_id",
                           "created_ms DESC, id DESC", org_id, limit, offset,
                           [&](const schedule_row& row) { page.schedules.push_back(decode(row)); });
  return page;
}

schedule_run_page soci_store::list_schedule_runs(const std::string& schedule_id, int64_t limit,
                                                 int64_t offset) {
  auto& d = *impl_;
  schedule_run_page page;
  page.total = select_page(d.sql, d.counts, d.runs_of,
                           "FROM schedule_run WHERE schedule_id = :schedule_id",
                           "created_ms DESC, id DESC", schedule_id, limit, offset,
                           [&](const schedule_run_row& row) { page.runs.push_back(decode(row)); });
  return page;
}

// -- durable streams ----------------------------------------------------------------------------

std::optional<ds_stream_record> soci_store::find_ds_stream(const std::string& org_id,
                                                           const std::string& path) {
  auto& q = lazy_select(impl_->ds_stream_at, impl_->sql,
                        "FROM ds_stream WHERE org_id = :org_id AND path = :path", 2);
  q.text[0] = org_id;
  q.text[1] = path;
  if (auto row = first_row(q))
    return decode(*row);
  return std::nullopt;
}

}  // namespace herald
