#pragma once

#include <string>
#include <vector>

namespace herald {

/// Tells a late report from a current one, for one task or workflow execution.
///
/// Flovyn's reports carry no claim token (CompleteTask names only the task), so the claim a
/// report answers is implied by the connection it comes over: the fence remembers the
/// connection of the current claim and those of earlier claims made in this process. A report
/// over a connection that held an earlier claim, but not the current one, answers a claim that
/// was superseded (its lease ran out and another worker got the work): it is stale. A report
/// over any other connection is let through: it may be the holder after a reconnect, and a
/// claim loaded from the store has no known connection. See docs/reliability.md.
class claim_fence {
public:
  /// A new claim was made over `channel` ("" = unknown).
  void claimed(const std::string& channel);

  /// Whether a report over `channel` answers a superseded claim.
  bool stale(const std::string& channel) const;

  const std::string& current() const { return current_; }

private:
  static constexpr size_t max_former = 8;  ///< older holders are forgotten (and let through)

  std::string current_;
  std::vector<std::string> former_;  ///< oldest first; never contains `current_`
};

}  // namespace herald
