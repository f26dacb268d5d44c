#include "api/server.hpp"

#include <unordered_map>

#include <spdlog/spdlog.h>
#include <caf/send.hpp>

#include "persistence/credential_store.hpp"
#include "persistence/store.hpp"
#include "protocol/uuid.hpp"

namespace herald {

namespace {

/// Reads what the engine starts from; creates the `default` org on the first start.
/// Reads what the engine starts from; creates the `default` org on the first start, and the orgs
/// of the config file that do not exist yet.
registry_init load_state(store& db, const std::string& url, const auth_settings& auth,
                         schedules_init& schedules) {
  registry_init init;
  auto ensure_org = [&db](const std::string& slug, const std::string& name) {
    auto org = db.find_org_by_slug(slug);
    if (!org) {
      org = org_record{make_uuid(), slug, name, now_ms()};
      write_batch batch;
      batch.orgs.push_back(*org);
      db.commit({batch});
    }
    return *org;
  };
  auto org = ensure_org("default", "Default organization");
  spdlog::info("default org {} {}", org.slug, org.id);
  for (const auto& configured : auth.orgs)
    ensure_org(configured.slug, configured.name);
  init.orgs = credential_store{url}.list_orgs();
  // Every task of an unfinished workflow, finished ones too: the actor answers for all of them.
  auto active = db.load_active();
  std::unordered_map<std::string, size_t> index;
  for (auto& rec : active.workflows) {
    index.emplace(rec.id, init.workflows.size());
    workflow_init wf;
    wf.record = std::move(rec);
    init.workflows.push_back(std::move(wf));
  }
  for (auto& ev : active.history)
    if (auto i = index.find(ev.workflow_id); i != index.end())
      init.workflows[i->second].history.push_back(std::move(ev.event));
  for (auto& row : active.workflow_tasks)
    if (auto i = index.find(row.workflow_id); i != index.end())
      init.workflows[i->second].tasks.push_back(std::move(row));
  for (auto& row : active.tasks)
    if (row.workflow_id.empty())
      init.standalone_tasks.push_back(std::move(row));
  schedules.schedules = db.load_schedules();
  schedules.unfinished_runs = db.load_running_schedule_runs();
  spdlog::info("rehydrated {} unfinished workflow executions, {} standalone tasks and {} schedules",
               init.workflows.size(), init.standalone_tasks.size(), schedules.schedules.size());
  return init;
}

}  // namespace

server::server(caf::actor_system& sys, server_config cfg) : sys_(sys), cfg_(std::move(cfg)) {
  // nop
}

server::~server() {
  stop();
}

void server::start() {
  auto db = open_store(cfg_.database);
  db->migrate();
  spdlog::info("database {}", db->backend());
  schedules_init schedules;
  auto init = load_state(*db, cfg_.database, cfg_.auth, schedules);
  db.reset();
  auth_ = std::make_shared<authenticator>(cfg_.auth, cfg_.database, cfg_.loopback_only);
  store_settings store_cfg;
  store_cfg.url = cfg_.database;
  store_cfg.stats = std::make_shared<store_stats>();
  writer_ = spawn_store_writer(sys_, store_cfg);
  reader_ = spawn_store_reader(sys_, store_cfg);
  auto directory = std::make_shared<engine_directory>(sys_, cfg_.engine.queue);
  registry_ = spawn_registry(sys_, cfg_.engine, writer_, reader_, directory, std::move(init));
  schedule_context schedule_ctx{registry_, writer_, directory->schedule_feed(),
                                cfg_.engine.schedules, [] { return now_ms(); }};
  schedules_ = spawn_schedule_manager(sys_, schedule_ctx, reader_, std::move(schedules));
  ds_context streams_ctx{writer_, reader_, [] { return now_ms(); }};
  durable_streams_ = spawn_durable_streams(sys_, streams_ctx);
  engine_client engine{registry_, schedules_, durable_streams_, directory,
                       std::make_shared<engine_port>(sys_)};
  grpc_ = std::make_unique<grpc_server>(engine, cfg_.grpc, auth_);
  auto grpc_port = grpc_->start();
  spdlog::info("grpc listening on {}:{}", cfg_.grpc.address, grpc_port);
  http_ = std::make_unique<http_server>(engine, cfg_.http, auth_);
  // `stop()` stops HTTP before gRPC, so the gRPC server outlives every /_/metrics request.
  http_->add_metrics([grpc = grpc_.get()] { return grpc->metrics_text(); });
  http_->add_metrics([stats = store_cfg.stats] { return stats->metrics_text(); });
  http_->add_metrics([directory] { return directory->stats().metrics_text(); });
  http_->add_metrics([directory] { return directory->queue_metrics_text(); });
  auto http_port = http_->start();
  spdlog::info("http listening on {}:{}", cfg_.http.address, http_port);
  spdlog::info("ready");
}

void server::stop() {
  if (http_)
    http_->stop();
  if (grpc_)
    grpc_->stop();
  http_.reset();
  grpc_.reset();
  if (auth_)
    auth_->stop();
  // The engine first (it takes its linked actors along), then the store actors, whose exit
  // handler commits what the engine handed them.
  for (auto hdl :
       {caf::actor_cast<caf::actor>(schedules_), caf::actor_cast<caf::actor>(durable_streams_),
        caf::actor_cast<caf::actor>(registry_), caf::actor_cast<caf::actor>(writer_),
        caf::actor_cast<caf::actor>(reader_)})
    if (hdl)
      caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
  schedules_ = nullptr;
  durable_streams_ = nullptr;
  registry_ = nullptr;
  writer_ = nullptr;
  reader_ = nullptr;
}

}  // namespace herald
