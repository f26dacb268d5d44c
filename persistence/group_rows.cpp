#include "persistence/group_rows.hpp"

#include <algorithm>
#include <map>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace herald {

namespace {

/// Returns the rows of one kind across all batches, each key (`key_of`) once, with its last
/// version.
template <class Record, class KeyOf>
std::vector<const Record*> latest_by_key(const std::vector<write_batch>& batches,
                                         std::vector<Record> write_batch::*member, KeyOf key_of) {
  std::vector<const Record*> result;
  std::map<decltype(key_of(std::declval<const Record&>())), size_t> index;
  for (const auto& batch : batches) {
    for (const auto& x : batch.*member) {
      auto [i, added] = index.emplace(key_of(x), result.size());
      if (added)
        result.push_back(&x);
      else
        result[i->second] = &x;
    }
  }
  return result;
}

/// Returns the rows of one kind across all batches, each id once, with its last version.
template <class Record>
std::vector<const Record*> latest_by_id(const std::vector<write_batch>& batches,
                                        std::vector<Record> write_batch::*member) {
  return latest_by_key(batches, member, [](const Record& x) { return std::string_view{x.id}; });
}

/// Returns the appended rows of one kind across all batches, in order.
template <class Record>
std::vector<const Record*> all_of(const std::vector<write_batch>& batches,
                                  std::vector<Record> write_batch::*member) {
  std::vector<const Record*> result;
  for (const auto& batch : batches)
    for (const auto& x : batch.*member)
      result.push_back(&x);
  return result;
}

/// Splits the rows of one kind into inserts and updates: a row new in the group is inserted in
/// its last version; other rows are updated once, in their last version. The same id inserted
/// twice stays twice: the database refuses the second.
template <class Record>
void split_new(const std::vector<write_batch>& batches, std::vector<Record> write_batch::*inserts,
               std::vector<Record> write_batch::*updates, std::vector<const Record*>& added,
               std::vector<const Record*>& changed) {
  std::unordered_map<std::string_view, size_t> new_at;
  std::unordered_map<std::string_view, size_t> changed_at;
  for (const auto& batch : batches) {
    for (const auto& x : batch.*inserts) {
      new_at[x.id] = added.size();
      added.push_back(&x);
    }
    for (const auto& x : batch.*updates) {
      if (auto i = new_at.find(x.id); i != new_at.end())
        added[i->second] = &x;
      else if (auto j = changed_at.find(x.id); j != changed_at.end())
        changed[j->second] = &x;
      else {
        changed_at.emplace(x.id, changed.size());
        changed.push_back(&x);
      }
    }
  }
}

}  // namespace

group_rows::group_rows(const std::vector<write_batch>& batches) {
  orgs = latest_by_id(batches, &write_batch::orgs);
  split_new(batches, &write_batch::workflows, &write_batch::workflow_updates, new_workflows,
            workflow_updates);
  split_new(batches, &write_batch::tasks, &write_batch::task_updates, new_tasks, task_updates);
  workers = latest_by_id(batches, &write_batch::workers);
  promises = latest_by_id(batches, &write_batch::promises);
  attempts = latest_by_key(batches, &write_batch::attempts, [](const task_attempt& x) {
    return std::pair{std::string_view{x.task_id}, x.attempt};
  });
  events = all_of(batches, &write_batch::events);
  stream_events = all_of(batches, &write_batch::stream_events);
  logs = all_of(batches, &write_batch::logs);
  auto by_kind = [](const definition_record& x) {
    return std::pair{std::string_view{x.org_id}, std::string_view{x.kind}};
  };
  workflow_definitions = latest_by_key(batches, &write_batch::workflow_definitions, by_kind);
  task_definitions = latest_by_key(batches, &write_batch::task_definitions, by_kind);
  task_state = all_of(batches, &write_batch::task_state);
  keys
      = latest_by_key(batches, &write_batch::idempotency_keys, [](const idempotency_key_record& x) {
          return std::pair{std::string_view{x.org_id}, std::string_view{x.key}};
        });
  released_keys = all_of(batches, &write_batch::released_keys);
  for (const auto& batch : batches)
    purge_keys_expired_by_ms = std::max(purge_keys_expired_by_ms, batch.purge_keys_expired_by_ms);
  schedules = latest_by_id(batches, &write_batch::schedules);
  schedule_runs = latest_by_id(batches, &write_batch::schedule_runs);
  deleted_schedules = all_of(batches, &write_batch::deleted_schedules);
  ds_streams = latest_by_id(batches, &write_batch::ds_streams);
  deleted_ds_streams = all_of(batches, &write_batch::deleted_ds_streams);
}

bool group_rows::set_based() const {
  return task_state.empty() && released_keys.empty() && purge_keys_expired_by_ms == 0
         && schedules.empty() && schedule_runs.empty() && deleted_schedules.empty()
         && ds_streams.empty() && deleted_ds_streams.empty();
}

}  // namespace herald
