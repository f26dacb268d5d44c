#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

namespace herald::ctl {

/// What every command needs: where herald is, who calls, how to print.
struct global_options {
  std::string server = "http://127.0.0.1:8000";
  std::string api_key;
  std::string org = "default";
  bool json = false;  ///< machine-readable output
};

struct start_options {
  std::string kind;
  std::string input = "{}";  ///< JSON
  std::string queue;
  std::string idempotency_key;
  bool wait = false;   ///< print the output once the workflow ends
  bool watch = false;  ///< show it live until it ends
};

struct list_options {
  std::string status;
  std::string kind;
  int64_t limit = 20;
};

/// Each command prints to `out` and returns heraldctl's exit code; errors are cli_error.
int start_workflow(const global_options& g, const start_options& o, std::ostream& out);
int list_workflows(const global_options& g, const list_options& o, std::ostream& out);
int show_workflow(const global_options& g, const std::string& id, std::ostream& out);
int watch_workflow(const global_options& g, const std::string& id, std::ostream& out);
int signal_workflow(const global_options& g, const std::string& id, const std::string& name,
                    const std::string& value, std::ostream& out);
int cancel_workflow(const global_options& g, const std::string& id, const std::string& reason,
                    std::ostream& out);
int retry_workflow(const global_options& g, const std::string& id, std::ostream& out);

/// `keys create`: a new API key of the org (`type` User or Worker), printed once.
int create_key(const global_options& g, const std::string& type, const std::string& name,
               std::ostream& out);
/// `keys list`: the org's API keys and worker tokens, without their secrets.
int list_keys(const global_options& g, std::ostream& out);
/// `keys revoke`: revokes one by id.
int revoke_key(const global_options& g, const std::string& id, std::ostream& out);

/// What `schedules create` sends (docs/schedules.md has the semantics).
struct schedule_options {
  std::string name;
  std::string description;
  std::string cron;      ///< recurring ...
  std::string timezone;  ///< ... in this zone ("" = UTC)
  std::string end_at;    ///< ... until (ISO 8601)
  std::string at;        ///< or once, at (ISO 8601)
  std::string workflow;  ///< target: a workflow kind ...
  std::string task;      ///< ... or a standalone task kind
  std::string input = "{}";
  std::string queue;
  std::string missed;   ///< skip | execute_once
  std::string overlap;  ///< skip | allow | cancel_previous
};

/// `schedules create`: creates a schedule and prints its id and next fire.
int create_schedule(const global_options& g, const schedule_options& o, std::ostream& out);
/// `schedules list`: the org's schedules with their next fire.
int list_schedules(const global_options& g, std::ostream& out);
/// `schedules show`: one schedule and its latest runs.
int show_schedule(const global_options& g, const std::string& id, std::ostream& out);
/// `schedules pause|resume|trigger|delete`: `action` is the route's last segment ("" = delete).
int act_on_schedule(const global_options& g, const std::string& id, const std::string& action,
                    std::ostream& out);

}  // namespace herald::ctl
