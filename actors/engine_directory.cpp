#include "actors/engine_directory.hpp"

#include <chrono>
#include <mutex>

#include <caf/send.hpp>

#include "protocol/errors.hpp"
#include "protocol/uuid.hpp"

namespace herald {

engine_directory::engine_directory(caf::actor_system& sys, queue_settings settings,
                                   execution_feed_settings feed_settings)
    : sys_(sys),
      settings_(std::move(settings)),
      // Wall-clock microseconds: a later process's feed offsets are above an earlier one's.
      feed_(spawn_execution_feed(sys, feed_settings, now_ms() * 1000)),
      schedule_feed_(spawn_execution_feed(sys, feed_settings, now_ms() * 1000)) {
  // nop
}

void engine_directory::add_org(const org_record& org) {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  orgs_by_id_[org.id] = org;
  org_ids_by_slug_[org.slug] = org.id;
}

std::optional<org_record> engine_directory::org_by_id(const std::string& id) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  if (auto i = orgs_by_id_.find(id); i != orgs_by_id_.end())
    return i->second;
  return std::nullopt;
}

std::optional<org_record> engine_directory::org_by_slug(const std::string& slug) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  if (auto i = org_ids_by_slug_.find(slug); i != org_ids_by_slug_.end())
    return orgs_by_id_.at(i->second);
  return std::nullopt;
}

caf::error engine_directory::check_org(const std::string& org_id) const {
  if (canonical_uuid(org_id) != org_id)
    return make_herald_error(herald_errc::invalid_argument,
                             "org_id '" + org_id + "' is not a canonical UUID");
  std::shared_lock<std::shared_mutex> guard{mtx_};
  if (orgs_by_id_.count(org_id) == 0)
    return make_herald_error(herald_errc::not_found, "organization " + org_id + " not found");
  return {};
}

void engine_directory::add_workflow(const std::string& id, const workflow_actor& handle,
                                    const std::string& org_id) {
  std::unique_lock<std::shared_mutex> guard{live_mtx_};
  workflows_[id] = live_workflow{handle, org_id};
}

void engine_directory::remove_workflow(const std::string& id) {
  std::unique_lock<std::shared_mutex> guard{live_mtx_};
  workflows_.erase(id);
  if (auto i = tasks_of_.find(id); i != tasks_of_.end()) {
    for (const auto& task : i->second)
      tasks_.erase(task);
    tasks_of_.erase(i);
  }
}

void engine_directory::remove_task(const std::string& id, const task_actor& handle) {
  std::unique_lock<std::shared_mutex> guard{live_mtx_};
  if (auto i = tasks_.find(id); i != tasks_.end() && i->second.handle == handle)
    tasks_.erase(i);
}

workflow_actor engine_directory::workflow(const std::string& id) const {
  std::shared_lock<std::shared_mutex> guard{live_mtx_};
  if (auto i = workflows_.find(id); i != workflows_.end())
    return i->second.handle;
  return {};
}

void engine_directory::add_task(const std::string& id, const task_actor& handle,
                                const std::string& workflow_id, const std::string& org_id) {
  std::unique_lock<std::shared_mutex> guard{live_mtx_};
  auto [i, added] = tasks_.insert_or_assign(id, live_task{handle, workflow_id, org_id});
  if (added && !workflow_id.empty())
    tasks_of_[workflow_id].push_back(id);
}

std::optional<engine_directory::live_task> engine_directory::task(const std::string& id) const {
  std::shared_lock<std::shared_mutex> guard{live_mtx_};
  if (auto i = tasks_.find(id); i != tasks_.end())
    return i->second;
  return std::nullopt;
}

std::string engine_directory::org_of(const std::string& id) const {
  std::shared_lock<std::shared_mutex> guard{live_mtx_};
  if (auto i = workflows_.find(id); i != workflows_.end())
    return i->second.org_id;
  if (auto i = tasks_.find(id); i != tasks_.end())
    return i->second.org_id;
  return {};
}

queue_actor engine_directory::queue(const std::string& org_id, const std::string& name) {
  auto key = std::make_pair(org_id, name);
  {
    std::shared_lock<std::shared_mutex> guard{mtx_};
    if (auto i = queues_.find(key); i != queues_.end())
      return i->second;
    if (stopped_)
      return {};
  }
  std::unique_lock<std::shared_mutex> guard{mtx_};
  if (stopped_)
    return {};
  auto& slot = queues_[key];
  if (!slot) {
    auto gauges = std::make_shared<queue_gauges>();
    queue_gauges_[key] = gauges;
    slot = spawn_queue(sys_, settings_, std::move(gauges));
  }
  return slot;
}

std::string engine_directory::queue_metrics_text() const {
  using series = metrics_text::series;
  std::vector<series> ready;
  std::vector<series> parked;
  {
    std::shared_lock<std::shared_mutex> guard{mtx_};
    size_t n = 0;
    for (const auto& [key, g] : queue_gauges_) {
      if (++n > max_queue_series)
        break;
      auto org = orgs_by_id_.find(key.first);
      const auto& slug = org != orgs_by_id_.end() ? org->second.slug : key.first;
      auto labels = [&](const char* kind) {
        return std::vector<std::pair<std::string, std::string>>{
            {"org", slug}, {"queue", key.second}, {"kind", kind}};
      };
      auto value = [](const std::atomic<int64_t>& gauge) {
        return static_cast<double>(gauge.load(std::memory_order_relaxed));
      };
      ready.push_back({labels("workflow"), value(g->ready_workflows)});
      ready.push_back({labels("task"), value(g->ready_tasks)});
      parked.push_back({labels("workflow"), value(g->parked_workflow_polls)});
      parked.push_back({labels("task"), value(g->parked_task_polls)});
    }
  }
  return metrics_text{}
      .gauge("herald_queue_ready",
             "Work ready and waiting for a worker, by org, queue and kind (workflow or task).",
             ready)
      .gauge("herald_queue_parked_polls",
             "Worker polls parked until work arrives, by org, queue and kind (workflow or task).",
             parked)
      .str();
}

caf::error engine_directory::admit_poll(poll_request& req) {
  if (auto err = check_org(req.org_id))
    return err;
  if (auto problem = queue_problem(req.queue); !problem.empty())
    return make_herald_error(herald_errc::invalid_argument, problem);
  if (req.queue.empty())
    req.queue = "default";
  if (req.timeout_ms < 0)
    return make_herald_error(herald_errc::invalid_argument, "timeout_seconds is negative");
  auto now = clock_ms();
  activity_.polling(req.worker_id, now, now + req.timeout_ms);
  return {};
}

void engine_directory::stop() {
  std::vector<queue_actor> all;
  {
    std::unique_lock<std::shared_mutex> guard{mtx_};
    stopped_ = true;
    for (auto& [key, q] : queues_)
      all.push_back(std::move(q));
    queues_.clear();
  }
  for (auto& q : all)
    caf::anon_send_exit(q, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(feed_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(schedule_feed_, caf::exit_reason::user_shutdown);
}

int64_t engine_directory::clock_ms() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(sys_.clock().now().time_since_epoch()).count();
}

}  // namespace herald
