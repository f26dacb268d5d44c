#include "tests/support/engine_fixture.hpp"

#include <caf/send.hpp>

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "persistence/store.hpp"
#include "protocol/uuid.hpp"

namespace herald::test {

bool recording_sink::push(const stream_event& event) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (closed_)
    return false;
  events_.push_back(event);
  return true;
}

bool recording_sink::closed() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return closed_;
}

std::vector<stream_event> recording_sink::events() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return events_;
}

void recording_sink::close() {
  std::lock_guard<std::mutex> guard{mtx_};
  closed_ = true;
}

engine_fixture::engine_fixture() {
  db_path = std::filesystem::temp_directory_path() / ("herald-actors-" + make_uuid() + ".db");
  auto db = open_store(db_path.string());
  db->migrate();
  org_id = make_uuid();
  write_batch batch;
  batch.orgs.push_back(org_record{org_id, "default", "Default", now_ms()});
  db->commit({batch});
  db.reset();
  store_settings settings;
  settings.url = db_path.string();
  settings.detached = false;  // the deterministic scheduler runs everything on one thread
  settings.stats = stats;
  writer = spawn_store_writer(sys, settings);
  reader = spawn_store_reader(sys, settings);
  registry_init init;
  init.orgs.push_back(org_record{org_id, "default", "Default", 0});
  directory = std::make_shared<engine_directory>(sys, queue_settings{});
  registry = spawn_registry(sys, engine_settings{}, writer, reader, directory, std::move(init));
  run();
}

engine_fixture::~engine_fixture() {
  for (auto hdl : {caf::actor_cast<caf::actor>(registry), caf::actor_cast<caf::actor>(writer),
                   caf::actor_cast<caf::actor>(reader)})
    caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
  run();
  std::error_code ec;
  for (auto suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(db_path.string() + suffix, ec);
}

std::string engine_fixture::start(const std::string& kind, const std::string& input) {
  start_workflow_request req;
  req.org_id = org_id;
  req.kind = kind;
  req.input = input;
  req.queue = "q";
  auto res = call<start_workflow_result>(registry, start_atom_v, req);
  if (!res)
    BOOST_FAIL("start failed: " << error_message(res.error()));
  return res->workflow_id;
}

workflow_record engine_fixture::poll_workflow(const std::string& worker,
                                              const std::string& channel) {
  poll_request req{org_id, "q", worker, channel, 1000, {}};
  auto res = call<workflow_record>(registry, poll_atom_v, workflow_atom_v, req);
  if (!res)
    BOOST_FAIL("poll failed: " << error_message(res.error()));
  return *res;
}

task_record engine_fixture::poll_task(const std::string& worker, const std::string& channel) {
  poll_request req{org_id, "q", worker, channel, 1000, {}};
  auto res = call<task_record>(registry, poll_atom_v, task_atom_v, req);
  if (!res)
    BOOST_FAIL("poll failed: " << error_message(res.error()));
  return *res;
}

workflow_command engine_fixture::schedule(const std::string& task_id, const std::string& kind,
                                          int32_t max_retries) {
  workflow_command cmd;
  cmd.type = command_type::schedule_task;
  cmd.has_data = true;
  cmd.task_id = task_id;
  cmd.kind = kind;
  cmd.input = R"({"n":1})";
  cmd.max_retries = max_retries;
  return cmd;
}

caf::expected<caf::ok_atom> engine_fixture::submit(const std::string& id,
                                                   std::vector<workflow_command> cmds,
                                                   reported_status status,
                                                   const std::string& channel) {
  submit_request req{id, std::move(cmds), status, channel};
  return call<caf::ok_atom>(registry, submit_atom_v, req);
}

workflow_record engine_fixture::get(const std::string& id) {
  auto res = call<workflow_record>(registry, caf::get_atom_v, workflow_atom_v, id);
  if (!res)
    BOOST_FAIL("get failed: " << error_message(res.error()));
  return *res;
}

std::vector<history_event> engine_fixture::history(const std::string& id) {
  auto res = call<std::vector<history_event>>(registry, caf::get_atom_v, history_atom_v, id);
  if (!res)
    BOOST_FAIL("history failed: " << error_message(res.error()));
  return *res;
}

uint64_t engine_fixture::commits() const {
  return static_cast<uint64_t>(stats->batches_per_transaction.sum());
}

void engine_fixture::exec_sql(const std::string& sql) {
  soci::session session{soci::sqlite3, "db=\"" + db_path.string() + "\" timeout=10"};
  session << sql;
}

std::vector<std::string> engine_fixture::history_types(const std::string& id) {
  std::vector<std::string> out;
  for (const auto& ev : history(id))
    out.push_back(ev.type);
  return out;
}

}  // namespace herald::test
