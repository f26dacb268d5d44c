#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>

#include "actors/registry_actor.hpp"
#include "protocol/errors.hpp"
#include "tests/support/deterministic_fixture.hpp"

namespace herald {

// Boost.Test prints the values of failed comparisons.
inline std::ostream& operator<<(std::ostream& out, workflow_status x) {
  return out << to_string(x);
}

inline std::ostream& operator<<(std::ostream& out, task_status x) {
  return out << to_string(x);
}

inline std::ostream& operator<<(std::ostream& out, herald_errc x) {
  return out << to_string(x);
}

}  // namespace herald

namespace herald::test {

/// An event sink that records what it is given (thread-safe, never full unless told).
class recording_sink : public event_sink {
public:
  bool push(const stream_event& event) override;
  bool closed() const override;

  std::vector<stream_event> events() const;
  void close();

private:
  mutable std::mutex mtx_;
  std::vector<stream_event> events_;
  bool closed_ = false;
};

/// The whole engine (registry, workflow/task/queue/broadcaster actors and a real SQLite store in
/// a temporary file) on the deterministic scheduler.
struct engine_fixture : deterministic_fixture {
  engine_fixture();
  ~engine_fixture();

  /// Sends one request to `dest`, runs the system until it settles and returns the reply.
  template <class T, class Handle, class... Ts>
  caf::expected<T> call(const Handle& dest, Ts... xs) {
    auto result = std::make_shared<std::optional<caf::expected<T>>>();
    sys.spawn([=](caf::event_based_actor* self) {
      self->request(dest, std::chrono::seconds(60), xs...)
          .then([=](T& x) { *result = std::move(x); }, [=](caf::error& err) { *result = err; });
    });
    run();
    BOOST_REQUIRE_MESSAGE(result->has_value(), "no reply (still pending)");
    return std::move(**result);
  }

  /// Like `call`, but does not wait: the reply lands in the returned slot once the system runs.
  template <class T, class Handle, class... Ts>
  std::shared_ptr<std::optional<caf::expected<T>>> call_async(const Handle& dest, Ts... xs) {
    auto result = std::make_shared<std::optional<caf::expected<T>>>();
    sys.spawn([=](caf::event_based_actor* self) {
      self->request(dest, std::chrono::seconds(600), xs...)
          .then([=](T& x) { *result = std::move(x); }, [=](caf::error& err) { *result = err; });
    });
    return result;
  }

  /// Starts a workflow of `kind` on queue "q" and returns its id.
  std::string start(const std::string& kind, const std::string& input = "{}");

  /// Polls queue "q" for a workflow (the reply must come at once) over connection `channel` and
  /// returns it.
  workflow_record poll_workflow(const std::string& worker = "w1", const std::string& channel = "");

  /// Polls queue "q" for a task over connection `channel` and returns it.
  task_record poll_task(const std::string& worker = "w1", const std::string& channel = "");

  /// Returns a SCHEDULE_TASK command for a new task.
  static workflow_command schedule(const std::string& task_id, const std::string& kind = "echo",
                                   int32_t max_retries = -1);

  /// Submits a batch (over connection `channel`) that reports `status`.
  caf::expected<caf::ok_atom> submit(const std::string& id, std::vector<workflow_command> cmds,
                                     reported_status status, const std::string& channel = "");

  workflow_record get(const std::string& id);
  std::vector<history_event> history(const std::string& id);
  std::vector<std::string> history_types(const std::string& id);

  /// Returns how many write batches (actor steps) the store writer committed so far.
  uint64_t commits() const;

  /// Runs `sql` on the test database through a connection of its own (e.g. to install a trigger
  /// that makes some commits fail).
  void exec_sql(const std::string& sql);

  std::filesystem::path db_path;
  std::shared_ptr<store_stats> stats = std::make_shared<store_stats>();
  engine_directory_ptr directory;
  std::string org_id;
  store_writer_actor writer;
  store_reader_actor reader;
  registry_actor registry;
};

}  // namespace herald::test
