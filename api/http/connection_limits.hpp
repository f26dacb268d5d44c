#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace herald {

/// The caps on open HTTP connections (0 in a setting means "derive it", see `resolve`).
struct connection_limit_settings {
  size_t max_total = 0;        ///< connections open at once, SSE streams included
  size_t max_per_address = 0;  ///< of those, from one client address

  /// Fills the zeros from the process's open files limit: three quarters of it for HTTP (gRPC,
  /// the database and the files need the rest), and half of that for one address.
  connection_limit_settings resolve(uint64_t open_files_limit) const;
};

/// Caps HTTP connections in total and per client address, so that one client cannot take every
/// descriptor and leave the others (health checks included) waiting in the accept backlog. At a
/// cap, the connection that has waited longest for its next request ("idle": a keep-alive
/// connection, or one that never sent a request) is evicted to make room; when none is idle, the
/// new connection is refused. Thread-safe: the acceptor admits, sessions on their own strands
/// mark themselves idle or busy, and a connection's place is released when its `slot` dies.
class connection_limits : public std::enable_shared_from_this<connection_limits> {
public:
  class slot;

  /// Why a connection was refused.
  enum class refusal { none, total, per_address };

  /// The answer to one new connection.
  struct admission {
    std::shared_ptr<slot> admitted;  ///< null when refused
    refusal refused = refusal::none;
    /// Closes the idle connection evicted to make room (empty if none was): call it outside
    /// `admit`. The evicted one keeps its place until it is closed.
    std::function<void()> evict;
  };

  explicit connection_limits(connection_limit_settings settings);

  /// Admits a connection from `address`, evicting an idle one at a cap, or refuses it.
  admission admit(const std::string& address);

  const connection_limit_settings& settings() const { return settings_; }

  /// Connections holding a place now.
  size_t open() const;

  uint64_t evicted() const { return evicted_.load(std::memory_order_relaxed); }
  uint64_t refused(refusal why) const;

  /// The place of one admitted connection; owned by the session that holds its socket (and
  /// handed on with it). Destroying it frees the place.
  class slot {
  public:
    slot(std::shared_ptr<connection_limits> owner, std::string address);
    ~slot();

    slot(const slot&) = delete;
    slot& operator=(const slot&) = delete;

    /// The connection waits for its next request: at a cap it may be evicted by `evict`, which
    /// must close it unless it has become busy meanwhile (it runs on the acceptor's thread).
    void idle(std::function<void()> evict);

    /// The connection serves a request or a stream: it is not evicted.
    void busy();

  private:
    friend class connection_limits;
    std::shared_ptr<connection_limits> owner_;
    std::string address_;
    bool idle_ = false;  ///< in the owner's idle list (guarded by the owner's mutex)
    std::list<slot*>::iterator idle_pos_;
    std::function<void()> evict_;
  };

private:
  /// Removes `s` from the idle list and returns its eviction callback. Requires `mtx_`.
  std::function<void()> take_idle(slot& s);

  connection_limit_settings settings_;
  mutable std::mutex mtx_;
  size_t open_ = 0;
  std::unordered_map<std::string, size_t> per_address_;
  std::list<slot*> idle_;  ///< oldest idle first
  std::atomic<uint64_t> evicted_{0};
  std::atomic<uint64_t> refused_total_{0};
  std::atomic<uint64_t> refused_per_address_{0};
};

}  // namespace herald
