// The writer (group commit) and reader actors on a real, multi-threaded actor system.

#include <chrono>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <caf/all.hpp>

#include "persistence/store_actor.hpp"
#include "protocol/errors.hpp"
#include "tests/persistence/sample_records.hpp"
#include "tests/persistence/test_database.hpp"

using namespace herald;
using namespace herald::test;

namespace {

constexpr auto timeout = std::chrono::seconds(30);

/// Returns the name of an error's herald code, e.g. "not_found".
std::string code_of(const caf::error& err) {
  return to_string(error_code(err));
}

/// Sends one request and waits for its answer.
template <class T, class Handle, class... Ts>
caf::expected<T> ask(caf::scoped_actor& self, const Handle& dest, Ts&&... xs) {
  caf::expected<T> result{caf::make_error(caf::sec::request_timeout)};
  self->request(dest, timeout, std::forward<Ts>(xs)...)
      .receive([&](T& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
  return result;
}

/// An actor system with a writer and a reader on `url`, both stopped at the end.
struct actor_env {
  explicit actor_env(const std::string& url, size_t max_batches = 512)
      : writer(spawn_store_writer(sys, store_settings{url, max_batches})),
        reader(spawn_store_reader(sys, store_settings{url, max_batches})) {
    // nop
  }

  ~actor_env() {
    self->send_exit(writer, caf::exit_reason::user_shutdown);
    self->send_exit(reader, caf::exit_reason::user_shutdown);
  }

  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  store_writer_actor writer;
  store_reader_actor reader;
};

using commit_handle = decltype(std::declval<caf::scoped_actor&>()->request(
    std::declval<store_writer_actor&>(), timeout, commit_atom_v, write_batch{}));

/// Sends all batches at once, then collects the answers in order: "" for ok, else the message.
std::vector<std::string> commit_concurrently(actor_env& env, std::vector<write_batch> batches) {
  std::vector<commit_handle> pending;
  for (auto& batch : batches)
    pending.push_back(env.self->request(env.writer, timeout, commit_atom_v, std::move(batch)));
  std::vector<std::string> answers;
  for (auto& handle : pending) {
    handle.receive([&](caf::ok_atom) { answers.emplace_back(); },
                   [&](caf::error& err) {
                     BOOST_TEST(code_of(err) == "internal");
                     answers.push_back("error: " + error_message(err));
                   });
  }
  return answers;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_actor_suite)

HERALD_STORE_TEST(writer_acknowledges_concurrent_batches) {
  auto check = db.open_migrated();
  actor_env env{db.url()};
  std::vector<write_batch> batches;
  for (int i = 0; i < 50; ++i)
    batches.push_back(start_batch("wf-" + std::to_string(i)));
  auto answers = commit_concurrently(env, std::move(batches));
  BOOST_TEST(answers == std::vector<std::string>(50), boost::test_tools::per_element());
  for (int i = 0; i < 50; ++i) {
    auto id = "wf-" + std::to_string(i);
    BOOST_TEST_CONTEXT(id) {
      BOOST_TEST(check->load_workflow(id).has_value());
      BOOST_TEST(check->load_history(id).size() == 1u);
      BOOST_TEST(check->load_stream(id, 0, 10).size() == 1u);
    }
  }
}

HERALD_STORE_TEST(writer_respects_max_batches) {
  auto check = db.open_migrated();
  actor_env env{db.url(), 3};
  std::vector<write_batch> batches;
  for (int i = 0; i < 50; ++i) {
    write_batch b;
    b.events.push_back({"wf-1", sample_event(i + 1)});
    batches.push_back(std::move(b));
  }
  auto answers = commit_concurrently(env, std::move(batches));
  BOOST_TEST(answers == std::vector<std::string>(50), boost::test_tools::per_element());
  BOOST_TEST(check->load_history("wf-1").size() == 50u);
}

HERALD_STORE_TEST(writer_fails_a_bad_batch_alone) {
  auto check = db.open_migrated();
  check->commit({start_batch("wf-0")});
  actor_env env{db.url()};
  std::vector<write_batch> batches;
  for (int i = 1; i <= 20; ++i) {
    batches.push_back(start_batch("wf-" + std::to_string(i)));
    if (i == 10) {
      // Repeats sequence 1 of wf-0; its other rows must not appear.
      write_batch bad;
      bad.workflows.push_back(sample_workflow("wf-bad"));
      bad.events.push_back({"wf-0", sample_event(1)});
      batches.push_back(std::move(bad));
    }
  }
  auto answers = commit_concurrently(env, std::move(batches));
  BOOST_REQUIRE(answers.size() == 21u);
  for (size_t i = 0; i < answers.size(); ++i) {
    BOOST_TEST_CONTEXT("batch " << i) {
      if (i == 10)
        BOOST_TEST(!answers[i].empty());
      else
        BOOST_TEST(answers[i].empty());
    }
  }
  for (int i = 1; i <= 20; ++i)
    BOOST_TEST(check->load_workflow("wf-" + std::to_string(i)).has_value());
  BOOST_TEST(!check->load_workflow("wf-bad").has_value());
  BOOST_TEST(check->load_history("wf-0").size() == 1u);

  // The writer keeps working afterwards.
  std::vector<write_batch> more;
  more.push_back(start_batch("wf-after"));
  BOOST_TEST(commit_concurrently(env, std::move(more)) == std::vector<std::string>(1),
             boost::test_tools::per_element());
}

HERALD_STORE_TEST(reader_answers_every_query) {
  auto check = db.open_migrated();
  write_batch b;
  b.orgs.push_back(sample_org("org-1"));
  auto wf = sample_workflow("wf-1");
  wf.idempotency_key = "key-1";
  b.workflows.push_back(wf);
  b.idempotency_keys.push_back({"org-1", "key-1", "wf-1", "", "", now_ms() + 60000, now_ms()});
  b.tasks.push_back(sample_task("task-1", "wf-1"));
  b.tasks.push_back(sample_task("task-2", "wf-1"));
  for (int32_t seq = 1; seq <= 3; ++seq)
    b.events.push_back({"wf-1", sample_event(seq)});
  for (int64_t offset = 1; offset <= 5; ++offset)
    b.stream_events.push_back({"wf-1", sample_stream_event(offset)});
  actor_env env{db.url()};
  BOOST_REQUIRE(ask<caf::ok_atom>(env.self, env.writer, commit_atom_v, b).engaged());
  auto& self = env.self;
  auto& reader = env.reader;

  auto loaded = ask<workflow_record>(self, reader, caf::get_atom_v, workflow_atom_v, "wf-1");
  BOOST_REQUIRE(loaded.engaged());
  check_equal(*loaded, wf);
  auto history
      = ask<std::vector<history_event>>(self, reader, caf::get_atom_v, history_atom_v, "wf-1");
  BOOST_REQUIRE(history.engaged());
  BOOST_TEST(history->size() == 3u);
  auto tasks = ask<std::vector<task_record>>(self, reader, caf::get_atom_v, tasks_atom_v, "wf-1");
  BOOST_REQUIRE(tasks.engaged());
  BOOST_TEST(tasks->size() == 2u);
  auto task = ask<task_record>(self, reader, caf::get_atom_v, task_atom_v, "task-2");
  BOOST_REQUIRE(task.engaged());
  check_equal(*task, sample_task("task-2", "wf-1"));
  auto org = ask<org_record>(self, reader, caf::get_atom_v, org_atom_v, "slug-org-1");
  BOOST_REQUIRE(org.engaged());
  check_equal(*org, sample_org("org-1"));
  auto org_by_id = ask<org_record>(self, reader, caf::get_atom_v, org_id_atom_v, "org-1");
  BOOST_REQUIRE(org_by_id.engaged());
  BOOST_TEST(org_by_id->slug == "slug-org-1");
  auto stream = ask<std::vector<stream_event>>(self, reader, caf::get_atom_v, caf::stream_atom_v,
                                               "wf-1", int64_t{2}, int64_t{2});
  BOOST_REQUIRE(stream.engaged());
  BOOST_REQUIRE(stream->size() == 2u);
  BOOST_TEST(stream->at(0).offset == 3);
  BOOST_TEST(stream->at(1).offset == 4);
  auto idem
      = ask<idempotency_key_record>(self, reader, caf::get_atom_v, idem_atom_v, "org-1", "key-1");
  BOOST_REQUIRE(idem.engaged());
  BOOST_TEST(idem->workflow_id == "wf-1");
  auto no_idem
      = ask<idempotency_key_record>(self, reader, caf::get_atom_v, idem_atom_v, "org-1", "key-2");
  BOOST_REQUIRE(!no_idem.engaged());
  BOOST_CHECK(error_code(no_idem.error()) == herald_errc::not_found);

  // Absent rows are not_found errors; empty lists are empty answers.
  auto missing_wf = ask<workflow_record>(self, reader, caf::get_atom_v, workflow_atom_v, "nope");
  BOOST_REQUIRE(!missing_wf.engaged());
  BOOST_TEST(code_of(missing_wf.error()) == "not_found");
  BOOST_TEST(error_message(missing_wf.error()) == "workflow nope not found");
  auto missing_task = ask<task_record>(self, reader, caf::get_atom_v, task_atom_v, "nope");
  BOOST_TEST(code_of(missing_task.error()) == "not_found");
  auto missing_org = ask<org_record>(self, reader, caf::get_atom_v, org_atom_v, "nope");
  BOOST_TEST(code_of(missing_org.error()) == "not_found");
  auto missing_org_id = ask<org_record>(self, reader, caf::get_atom_v, org_id_atom_v, "nope");
  BOOST_TEST(code_of(missing_org_id.error()) == "not_found");
  auto no_history
      = ask<std::vector<history_event>>(self, reader, caf::get_atom_v, history_atom_v, "nope");
  BOOST_REQUIRE(no_history.engaged());
  BOOST_TEST(no_history->empty());
}

BOOST_AUTO_TEST_CASE(actors_reconnect_after_the_server_dropped_them,
                     *boost::unit_test::precondition(postgres_wanted)) {
  postgres_database db;
  auto check = db.open_migrated();
  check.reset();
  actor_env env{db.url()};
  BOOST_REQUIRE(ask<caf::ok_atom>(env.self, env.writer, commit_atom_v, start_batch("wf-1")));
  BOOST_REQUIRE(
      ask<workflow_record>(env.self, env.reader, caf::get_atom_v, workflow_atom_v, "wf-1"));
  BOOST_TEST(db.terminate_connections() == 2);
  // A commit whose connection broke may have landed: it is not run again on a new connection,
  // it fails UNAVAILABLE (its sender reloads from the store); the next commit reconnects.
  auto lost = ask<caf::ok_atom>(env.self, env.writer, commit_atom_v, start_batch("wf-2"));
  BOOST_REQUIRE(!lost.engaged());
  BOOST_TEST(code_of(lost.error()) == "unavailable");
  BOOST_TEST(error_message(lost.error()).find("INSERT") == std::string::npos);
  auto committed = ask<caf::ok_atom>(env.self, env.writer, commit_atom_v, start_batch("wf-2"));
  BOOST_TEST(committed.engaged(), (committed ? "" : error_message(committed.error())));
  auto loaded
      = ask<workflow_record>(env.self, env.reader, caf::get_atom_v, workflow_atom_v, "wf-2");
  BOOST_TEST(loaded.engaged(), (loaded ? "" : error_message(loaded.error())));
}

BOOST_AUTO_TEST_CASE(actors_report_an_unreachable_database) {
  actor_env env{"sqlite:///nonexistent-herald-dir/sub/h.db"};
  auto committed = ask<caf::ok_atom>(env.self, env.writer, commit_atom_v, start_batch("wf-1"));
  BOOST_REQUIRE(!committed.engaged());
  BOOST_TEST(code_of(committed.error()) == "unavailable");
  auto loaded
      = ask<workflow_record>(env.self, env.reader, caf::get_atom_v, workflow_atom_v, "wf-1");
  BOOST_REQUIRE(!loaded.engaged());
  BOOST_TEST(code_of(loaded.error()) == "unavailable");
}

BOOST_AUTO_TEST_CASE(reader_reports_store_errors_as_internal) {
  sqlite_database db;  // never migrated: every query fails
  actor_env env{db.url()};
  auto loaded
      = ask<workflow_record>(env.self, env.reader, caf::get_atom_v, workflow_atom_v, "wf-1");
  BOOST_REQUIRE(!loaded.engaged());
  BOOST_TEST(code_of(loaded.error()) == "internal");
  auto committed = ask<caf::ok_atom>(env.self, env.writer, commit_atom_v, start_batch("wf-1"));
  BOOST_REQUIRE(!committed.engaged());
  BOOST_TEST(code_of(committed.error()) == "internal");
}

BOOST_AUTO_TEST_SUITE_END()
