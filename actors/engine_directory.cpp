#include "actors/engine_directory.hpp"

#include <mutex>
#include <vector>

#include <caf/send.hpp>

namespace herald {

engine_directory::engine_directory(caf::actor_system& sys, queue_settings settings)
    : sys_(sys), settings_(std::move(settings)) {
  // nop
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
  if (!slot)
    slot = spawn_queue(sys_, settings_);
  return slot;
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
}

}  // namespace herald
