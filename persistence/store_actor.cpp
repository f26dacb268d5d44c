#include "persistence/store_actor.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <iterator>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "persistence/soci_store.hpp"
#include "protocol/errors.hpp"
#include "protocol/state_event.hpp"

namespace herald {

namespace {

/// What a client may see of a database error: its first line, without the statement and its
/// parameters (a group commit's parameters hold other executions' data, of other orgs, and a
/// gRPC status message must fit in a header). The whole text goes to the log.
std::string brief(const char* what) {
  std::string_view text{what};
  auto end = std::min({text.find('\n'), text.find(" while executing"), size_t{200}});
  return std::string{text.substr(0, end)};
}

/// Logs that the database's storage is full, at most once a second (every refused write would
/// otherwise be a line). Thread-safe: the reader and the writer both call it.
void note_storage_full() {
  static std::atomic<int64_t> last_ms{0};
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now().time_since_epoch())
                 .count();
  auto last = last_ms.load(std::memory_order_relaxed);
  if (now - last < 1000 || !last_ms.compare_exchange_strong(last, now))
    return;
  spdlog::error(
      "store: the database's storage is full (disk is full); writes are refused with "
      "UNAVAILABLE until space is freed");
}

/// Thrown when no connection to the database can be made.
class store_unavailable : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// The store of one actor: opened in the actor, reopened after its connection broke.
class store_handle {
public:
  explicit store_handle(std::string url) : url_(std::move(url)) {
    // nop
  }

  /// (Re)opens the store; returns false and remembers why when that fails.
  bool open() noexcept {
    try {
      db_.reset();
      db_ = open_store(url_);
      return true;
    } catch (const std::exception& e) {
      db_.reset();
      error_ = brief(e.what());
      return false;
    }
  }

  /// Runs `f(store&)`. If `f` throws and the connection turns out to be lost, the next call
  /// opens a new one; `f` runs again at once on a new connection only when `may_retry` (a read:
  /// a commit whose connection was lost may have landed, so it is not run twice). Throws what
  /// `f` throws, or `store_unavailable`.
  template <class F>
  auto run(F&& f, bool may_retry = true) -> decltype(f(std::declval<store&>())) {
    if (!db_ && !open())
      throw store_unavailable("database unavailable: " + error_);
    try {
      return f(*db_);
    } catch (const std::exception& e) {
      if (connected())
        throw;
      db_.reset();
      if (!may_retry)
        throw store_unavailable("database connection lost: " + brief(e.what()));
    }
    if (!open())
      throw store_unavailable("database connection lost: " + error_);
    return f(*db_);
  }

private:
  bool connected() const noexcept {
    auto* db = dynamic_cast<soci_store*>(db_.get());
    return db == nullptr || db->connected();
  }

  std::string url_;
  std::unique_ptr<store> db_;
  std::string error_;
};

/// Runs `f(store&)` on `db` and turns exceptions into `caf::error`s.
template <class F>
auto guarded(store_handle& db, F&& f, bool may_retry = true)
    -> caf::expected<decltype(f(std::declval<store&>()))> {
  try {
    return db.run(std::forward<F>(f), may_retry);
  } catch (const store_unavailable& e) {
    return make_herald_error(herald_errc::unavailable, e.what());
  } catch (const store_conflict& e) {
    return make_herald_error(herald_errc::failed_precondition,
                             "an id this step creates belongs to another execution or task "
                             "already: "
                                 + brief(e.what()));
  } catch (const std::exception& e) {
    if (is_storage_full(e)) {
      note_storage_full();
      return make_herald_error(herald_errc::unavailable,
                               "the database's storage is full: nothing was written; retry once "
                               "space is freed");
    }
    // The statement, not its parameters (they hold the users' data).
    std::string_view what{e.what()};
    spdlog::error("store error: {}", what.substr(0, what.find(" with :")));
    return make_herald_error(herald_errc::internal,
                             "store error (details in the server log): " + brief(e.what()));
  } catch (...) {
    return make_herald_error(herald_errc::internal, "unknown error in the store");
  }
}

/// Turns a read result into a reply.
template <class T>
caf::result<T> reply(caf::expected<T>&& x) {
  if (!x)
    return std::move(x.error());
  return std::move(*x);
}

/// Turns a lookup result into a reply; nothing found is a `not_found` error naming `what`.
template <class T>
caf::result<T> reply(caf::expected<std::optional<T>>&& x, const std::string& what) {
  if (!x)
    return std::move(x.error());
  if (!*x)
    return make_herald_error(herald_errc::not_found, what + " not found");
  return std::move(**x);
}

// -- writer -------------------------------------------------------------------------------------

/// The writer's whole interface: the public one plus the flush it sends itself.
using writer_actor = store_writer_actor::extend<caf::reacts_to<caf::flush_atom>>;

using commit_promise = caf::typed_response_promise<caf::ok_atom>;

struct writer_state {
  std::unique_ptr<store_handle> db;
  size_t max_batches = 512;
  std::vector<write_batch> batches;                                ///< waiting for the next flush
  std::vector<commit_promise> promises;                            ///< one per entry of `batches`
  std::unordered_map<std::string, stream_listener_actor> watched;  ///< by tree root id
  std::shared_ptr<store_stats> stats;
  static inline const char* name = "herald.store_writer";
};

using writer_ptr = writer_actor::stateful_pointer<writer_state>;

/// Hands the committed events of watched trees to their listeners. A tree without rows of its
/// own yet is the root's own stream, so the root's events count with their own offsets.
void announce(writer_ptr self, const std::vector<write_batch>& batches,
              const std::vector<int64_t>& tree_offsets) {
  auto& watched = self->state.watched;
  if (watched.empty())
    return;
  std::unordered_map<std::string_view, std::vector<stream_event>> out;
  size_t i = 0;
  for (const auto& batch : batches) {
    for (const auto& x : batch.stream_events) {
      auto placed = i < tree_offsets.size() ? tree_offsets[i] : 0;
      ++i;
      const auto& tree = x.tree_id.empty() ? x.stream_id : x.tree_id;
      if (watched.count(tree) == 0)
        continue;
      out[tree].push_back(
          tree_stream_event(x.stream_id, x.event, placed != 0 ? placed : x.event.offset));
    }
  }
  for (auto& [tree, events] : out)
    self->send(watched.at(std::string{tree}), emit_atom_v, std::move(events));
}

/// Commits `batches` in one transaction and announces them; returns the error, or none.
/// A commit is never run twice on a new connection: the first one may have landed.
caf::error commit_all(writer_ptr self, const std::vector<write_batch>& batches) {
  auto started = std::chrono::steady_clock::now();
  auto result = guarded(
      *self->state.db, [&](store& s) { return s.commit(batches); }, false);
  if (auto* stats = self->state.stats.get()) {
    if (result) {
      stats->transaction_seconds.observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      stats->batches_per_transaction.observe(static_cast<double>(batches.size()));
    } else {
      ++stats->failed_transactions;
    }
  }
  if (!result)
    return std::move(result.error());
  announce(self, batches, *result);
  return caf::error{};
}

/// Commits up to `max_batches` waiting batches in one transaction and answers their promises.
/// If that transaction fails, each batch is retried alone so that one bad batch fails alone.
void flush(writer_ptr self) {
  auto& st = self->state;
  auto n = std::min(st.batches.size(), st.max_batches);
  auto first = st.batches.begin();
  std::vector<write_batch> group{std::make_move_iterator(first),
                                 std::make_move_iterator(first + n)};
  st.batches.erase(first, first + n);
  auto pfirst = st.promises.begin();
  std::vector<commit_promise> promises{pfirst, pfirst + n};
  st.promises.erase(pfirst, pfirst + n);
  if (!st.batches.empty())
    self->send(self, caf::flush_atom_v);
  auto err = commit_all(self, group);
  if (!err) {
    for (auto& rp : promises)
      rp.deliver(caf::ok_atom_v);
    return;
  }
  if (group.size() == 1 || error_code(err) == herald_errc::unavailable) {
    for (auto& rp : promises)
      rp.deliver(err);
    return;
  }
  for (size_t i = 0; i < group.size(); ++i) {
    std::vector<write_batch> one;
    one.push_back(std::move(group[i]));
    if (auto single = commit_all(self, one))
      promises[i].deliver(std::move(single));
    else
      promises[i].deliver(caf::ok_atom_v);
  }
}

writer_actor::behavior_type store_writer(writer_actor::stateful_pointer<writer_state> self,
                                         store_settings settings) {
  self->state.db = std::make_unique<store_handle>(settings.url);
  self->state.db->open();  // on failure, the first flush tries again
  self->state.max_batches = std::max<size_t>(settings.max_batches, 1);
  self->state.stats = settings.stats;
  // Batches already accepted are committed (and answered) before the writer stops: their
  // senders wait for the answer, and CAF 0.17 would not tell them the writer is gone.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    while (!self->state.batches.empty())
      flush(self);
    self->quit(msg.reason);
  });
  return {
      [=](commit_atom, write_batch& batch) -> commit_promise {
        auto& st = self->state;
        auto rp = self->make_response_promise<caf::ok_atom>();
        if (st.batches.empty())
          self->send(self, caf::flush_atom_v);
        st.batches.push_back(std::move(batch));
        st.promises.push_back(rp);
        return rp;
      },
      [=](caf::flush_atom) {
        if (!self->state.batches.empty())
          flush(self);
      },
      [=](watch_atom, std::string& tree, stream_listener_actor& listener) {
        // Batches queued before this message are not yet committed: they are announced too.
        self->state.watched[std::move(tree)] = std::move(listener);
        return caf::ok_atom_v;
      },
      [=](release_atom, watch_atom, const std::string& tree) { self->state.watched.erase(tree); },
      [=](expire_atom, caf::stream_atom, int64_t from_ms, int64_t before_ms,
          int64_t limit) -> caf::result<int64_t> {
        return reply(guarded(*self->state.db, [&](store& s) {
          auto end = s.prune_window_end(from_ms, before_ms, limit);
          s.prune_streams(from_ms, end);
          return end;
        }));
      },
  };
}

// -- reader -------------------------------------------------------------------------------------

struct reader_state {
  std::unique_ptr<store_handle> db;
  static inline const char* name = "herald.store_reader";
};

/// Returns whether workflow `id` exists and belongs to org `org_id`.
bool owned_workflow(store& s, const std::string& org_id, const std::string& id) {
  auto wf = s.load_workflow(id);
  return wf && wf->org_id == org_id;
}

store_reader_actor::behavior_type store_reader(
    store_reader_actor::stateful_pointer<reader_state> self, store_settings settings) {
  self->state.db = std::make_unique<store_handle>(settings.url);
  self->state.db->open();  // on failure, the first request tries again
  auto db = [self]() -> store_handle& { return *self->state.db; };
  return {
      [=](caf::get_atom, workflow_atom, const std::string& id) -> caf::result<workflow_record> {
        return reply(guarded(db(), [&](store& s) { return s.load_workflow(id); }),
                     "workflow " + id);
      },
      [=](caf::get_atom, history_atom,
          const std::string& id) -> caf::result<std::vector<history_event>> {
        return reply(guarded(db(), [&](store& s) { return s.load_history(id); }));
      },
      [=](caf::get_atom, tasks_atom,
          const std::string& workflow_id) -> caf::result<std::vector<task_record>> {
        return reply(guarded(db(), [&](store& s) { return s.load_tasks(workflow_id); }));
      },
      [=](caf::get_atom, task_atom, const std::string& id) -> caf::result<task_record> {
        return reply(guarded(db(), [&](store& s) { return s.load_task(id); }), "task " + id);
      },
      [=](caf::get_atom, org_atom, const std::string& slug) -> caf::result<org_record> {
        return reply(guarded(db(), [&](store& s) { return s.find_org_by_slug(slug); }),
                     "organization " + slug);
      },
      [=](caf::get_atom, org_id_atom, const std::string& id) -> caf::result<org_record> {
        return reply(guarded(db(), [&](store& s) { return s.find_org_by_id(id); }),
                     "organization " + id);
      },
      [=](caf::get_atom, caf::stream_atom, const std::string& stream_id, int64_t after,
          int64_t limit) -> caf::result<std::vector<stream_event>> {
        return reply(
            guarded(db(), [&](store& s) { return s.load_stream(stream_id, after, limit); }));
      },
      [=](caf::get_atom, tree_atom, const std::string& root_id, int64_t after,
          int64_t limit) -> caf::result<std::vector<stream_event>> {
        return reply(guarded(db(), [&](store& s) { return s.load_tree(root_id, after, limit); }));
      },
      [=](caf::get_atom, idem_atom, const std::string& org_id,
          const std::string& key) -> caf::result<idempotency_key_record> {
        return reply(
            guarded(db(), [&](store& s) { return s.find_idempotency_key(org_id, key, now_ms()); }),
            "idempotency key '" + key + "'");
      },
      [=](caf::get_atom, worker_atom, const std::string& id) -> caf::result<worker_record> {
        return reply(guarded(db(), [&](store& s) { return s.load_worker(id); }), "worker " + id);
      },
      [=](list_atom, attempts_atom,
          const std::string& task_id) -> caf::result<std::vector<task_attempt>> {
        return reply(guarded(db(), [&](store& s) { return s.load_attempts(task_id); }));
      },
      [=](list_atom, task_atom, const task_query& query) -> caf::result<task_page> {
        return reply(guarded(db(), [&](store& s) { return s.list_standalone_tasks(query); }));
      },
      [=](list_atom, log_atom, const log_query& query) -> caf::result<log_page> {
        return reply(guarded(db(), [&](store& s) { return s.list_logs(query); }));
      },
      [=](caf::get_atom, promise_atom, const std::string& id) -> caf::result<promise_record> {
        return reply(guarded(db(), [&](store& s) { return s.load_promise(id); }), "promise " + id);
      },
      [=](caf::get_atom, promise_atom, const std::string& org_id,
          const std::string& key) -> caf::result<promise_record> {
        return reply(guarded(db(),
                             [&](store& s) {
                               return s.find_promise_by_idempotency_key(org_id, key, now_ms());
                             }),
                     "promise with idempotency key '" + key + "'");
      },
      [=](list_atom, workflow_atom, const workflow_query& query) -> caf::result<workflow_page> {
        return reply(guarded(db(), [&](store& s) { return s.list_workflows(query); }));
      },
      [=](list_atom, children_atom, const std::string& org_id,
          const std::string& id) -> caf::result<std::vector<workflow_record>> {
        return reply(guarded(db(),
                             [&](store& s) -> std::optional<std::vector<workflow_record>> {
                               if (!owned_workflow(s, org_id, id))
                                 return std::nullopt;
                               return s.load_children(id);
                             }),
                     "workflow execution " + id);
      },
      [=](caf::get_atom, state_atom, const std::string& org_id,
          const std::string& id) -> caf::result<std::map<std::string, std::string>> {
        return reply(guarded(db(),
                             [&](store& s) -> std::optional<std::map<std::string, std::string>> {
                               if (!owned_workflow(s, org_id, id))
                                 return std::nullopt;
                               return replay_workflow_state(s.load_state_events(id));
                             }),
                     "workflow execution " + id);
      },
      [=](list_atom, worker_atom, const std::string& org_id, int64_t limit,
          int64_t offset) -> caf::result<worker_page> {
        return reply(
            guarded(db(), [&](store& s) { return s.list_workers(org_id, limit, offset); }));
      },
      [=](caf::get_atom, worker_atom, const std::string& org_id,
          const std::string& id) -> caf::result<worker_record> {
        return reply(guarded(db(),
                             [&](store& s) -> std::optional<worker_record> {
                               auto worker = s.load_worker(id);
                               if (worker && worker->org_id != org_id)
                                 return std::nullopt;
                               return worker;
                             }),
                     "worker " + id);
      },
      [=](list_atom, definition_type type,
          const std::string& org_id) -> caf::result<std::vector<definition_record>> {
        return reply(guarded(db(), [&](store& s) { return s.list_definitions(type, org_id); }));
      },
      [=](caf::get_atom, definition_type type, const std::string& org_id,
          const std::string& kind) -> caf::result<definition_record> {
        return reply(guarded(db(), [&](store& s) { return s.find_definition(type, org_id, kind); }),
                     std::string{to_string(type)} + " definition '" + kind + "'");
      },
      [=](caf::get_atom, task_state_atom, const std::string& task_id,
          const std::string& key) -> caf::result<std::string> {
        return reply(guarded(db(),
                             [&](store& s) -> std::optional<std::string> {
                               if (!s.load_task(task_id))
                                 return std::nullopt;
                               return s.load_task_state(task_id, key).value_or(std::string{});
                             }),
                     "task execution " + task_id);
      },
      [=](list_atom, task_state_atom,
          const std::string& task_id) -> caf::result<std::vector<std::string>> {
        return reply(guarded(db(),
                             [&](store& s) -> std::optional<std::vector<std::string>> {
                               if (!s.load_task(task_id))
                                 return std::nullopt;
                               return s.load_task_state_keys(task_id);
                             }),
                     "task execution " + task_id);
      },
      [=](caf::get_atom, ds_atom, const std::string& org_id,
          const std::string& path) -> caf::result<ds_stream_record> {
        return reply(guarded(db(), [&](store& s) { return s.find_ds_stream(org_id, path); }),
                     "durable stream " + path);
      },
      [=](caf::get_atom, schedule_atom, const std::string& id) -> caf::result<schedule_record> {
        return reply(guarded(db(), [&](store& s) { return s.load_schedule(id); }),
                     "schedule " + id);
      },
      [=](list_atom, schedule_atom, const std::string& org_id, int64_t limit,
          int64_t offset) -> caf::result<schedule_page> {
        return reply(
            guarded(db(), [&](store& s) { return s.list_schedules(org_id, limit, offset); }));
      },
      [=](list_atom, runs_atom, const std::string& id, int64_t limit,
          int64_t offset) -> caf::result<schedule_run_page> {
        return reply(
            guarded(db(), [&](store& s) { return s.list_schedule_runs(id, limit, offset); }));
      },
  };
}

}  // namespace

store_writer_actor spawn_store_writer(caf::actor_system& sys, const store_settings& settings) {
  auto hdl = settings.detached ? sys.spawn<caf::detached>(store_writer, settings)
                               : sys.spawn(store_writer, settings);
  return caf::actor_cast<store_writer_actor>(hdl);
}

store_reader_actor spawn_store_reader(caf::actor_system& sys, const store_settings& settings) {
  return settings.detached ? sys.spawn<caf::detached>(store_reader, settings)
                           : sys.spawn(store_reader, settings);
}

}  // namespace herald
