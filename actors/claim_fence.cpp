#include "actors/claim_fence.hpp"

#include <algorithm>

namespace herald {

void claim_fence::claimed(const std::string& channel) {
  if (channel == current_)
    return;
  if (!current_.empty())
    former_.push_back(std::move(current_));
  std::erase(former_, channel);
  if (former_.size() > max_former)
    former_.erase(former_.begin());
  current_ = channel;
}

bool claim_fence::stale(const std::string& channel) const {
  return !channel.empty() && channel != current_
         && std::find(former_.begin(), former_.end(), channel) != former_.end();
}

}  // namespace herald
