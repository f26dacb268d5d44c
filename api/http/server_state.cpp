#include "api/http/server_state.hpp"

namespace herald {

closable_session::~closable_session() {
  // nop
}

server_state::server_state(caf::actor_system& sys, registry_actor registry, http_settings settings)
    : sys_(sys), registry_(std::move(registry)), settings_(std::move(settings)) {
  // nop
}

bool server_state::join(std::shared_ptr<closable_session> session) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (stopped_)
    return false;
  auto key = session.get();
  sessions_.emplace(key, std::move(session));
  return true;
}

void server_state::leave(closable_session* session) {
  std::shared_ptr<closable_session> dropped;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = sessions_.find(session);
    if (i == sessions_.end())
      return;
    dropped = std::move(i->second);
    sessions_.erase(i);
  }
  // `dropped` may be the last reference: release it outside the lock.
}

std::vector<std::shared_ptr<closable_session>> server_state::stop() {
  std::vector<std::shared_ptr<closable_session>> result;
  std::lock_guard<std::mutex> guard{mtx_};
  stopped_ = true;
  result.reserve(sessions_.size());
  for (auto& [key, session] : sessions_)
    result.push_back(std::move(session));
  sessions_.clear();
  return result;
}

bool server_state::stopped() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return stopped_;
}

}  // namespace herald
