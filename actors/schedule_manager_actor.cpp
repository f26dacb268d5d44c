#include "actors/schedule_manager_actor.hpp"

#include <set>
#include <unordered_map>
#include <utility>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "protocol/errors.hpp"
#include "protocol/uuid.hpp"

namespace herald {

namespace {

struct schedule_entry {
  std::string org_id;
  std::string name;
  schedule_actor actor;
};

struct schedule_manager_state {
  schedule_context ctx;
  store_reader_actor reader;
  std::unordered_map<std::string, schedule_entry> entries;  ///< by schedule id
  std::set<std::pair<std::string, std::string>> names;      ///< (org id, name), taken or claimed

  static inline const char* name = "schedule_manager";
};

using self_ptr = schedule_manager_actor::stateful_pointer<schedule_manager_state>;

caf::error name_taken(const std::string& name) {
  return make_herald_error(herald_errc::already_exists,
                           "a schedule named '" + name + "' exists already");
}

/// The entry of schedule `id` if it belongs to `org_id`.
schedule_entry* find(self_ptr self, const std::string& org_id, const std::string& id) {
  auto i = self->state.entries.find(id);
  if (i == self->state.entries.end() || i->second.org_id != org_id)
    return nullptr;
  return &i->second;
}

caf::error unknown(const std::string& id) {
  return make_herald_error(herald_errc::not_found, "schedule " + id + " not found");
}

void adopt(self_ptr self, schedule_record record, std::vector<schedule_run_record> unfinished) {
  auto& st = self->state;
  auto actor = spawn_schedule(self->system(), st.ctx, record, std::move(unfinished));
  self->link_to(actor);
  st.names.emplace(record.org_id, record.spec.name);
  st.entries[record.id] = schedule_entry{record.org_id, record.spec.name, actor};
}

}  // namespace

schedule_manager_actor spawn_schedule_manager(caf::actor_system& sys, const schedule_context& ctx,
                                              store_reader_actor reader, schedules_init init) {
  return sys.spawn([ctx, reader, init = std::move(init)](
                       self_ptr self) mutable -> schedule_manager_actor::behavior_type {
    auto& st = self->state;
    st.ctx = ctx;
    st.reader = reader;
    std::unordered_map<std::string, std::vector<schedule_run_record>> unfinished;
    for (auto& run : init.unfinished_runs)
      unfinished[run.schedule_id].push_back(std::move(run));
    for (auto& record : init.schedules) {
      auto runs = std::move(unfinished[record.id]);
      adopt(self, std::move(record), std::move(runs));
    }
    return {
        [self](caf::add_atom, schedule_atom, const std::string& org_id,
               const std::string& created_by, schedule_spec& spec) -> caf::result<schedule_record> {
          auto& st = self->state;
          auto now = st.ctx.now();
          if (auto err = validate_schedule(spec, now))
            return err;
          auto name = std::make_pair(org_id, spec.name);
          if (st.names.count(name) > 0)
            return name_taken(spec.name);
          schedule_record record;
          record.id = make_uuid();
          record.org_id = org_id;
          record.spec = std::move(spec);
          record.next_run_ms = next_schedule_fire(record.spec, now);
          record.created_by = created_by;
          record.created_ms = now;
          record.updated_ms = now;
          st.names.insert(name);
          auto rp = self->make_response_promise<schedule_record>();
          write_batch batch;
          batch.schedules.push_back(record);
          self->request(st.ctx.writer, caf::infinite, commit_atom_v, std::move(batch))
              .then(
                  [self, record, rp](caf::ok_atom) mutable {
                    auto& st = self->state;
                    adopt(self, record, {});
                    std::vector<stream_event> events;
                    events.push_back(
                        schedule_state_event("SCHEDULE_CREATED", record, record.created_ms));
                    self->send(st.ctx.feed, emit_atom_v, record.org_id, std::move(events));
                    rp.deliver(record);
                  },
                  [self, name, rp](caf::error& err) mutable {
                    self->state.names.erase(name);
                    rp.deliver(std::move(err));
                  });
          return rp;
        },
        [self](caf::update_atom, schedule_atom, const std::string& org_id, const std::string& id,
               schedule_spec& spec) -> caf::result<schedule_record> {
          auto& st = self->state;
          auto* entry = find(self, org_id, id);
          if (entry == nullptr)
            return unknown(id);
          if (auto err = validate_schedule(spec, st.ctx.now()))
            return err;
          auto old_name = std::make_pair(org_id, entry->name);
          auto new_name = std::make_pair(org_id, spec.name);
          bool renamed = old_name != new_name;
          if (renamed && st.names.count(new_name) > 0)
            return name_taken(spec.name);
          if (renamed)
            st.names.insert(new_name);
          auto rp = self->make_response_promise<schedule_record>();
          self->request(entry->actor, caf::infinite, caf::update_atom_v, std::move(spec))
              .then(
                  [self, id, old_name, new_name, renamed, rp](schedule_record& x) mutable {
                    auto& st = self->state;
                    if (renamed) {
                      st.names.erase(old_name);
                      if (auto i = st.entries.find(id); i != st.entries.end())
                        i->second.name = new_name.second;
                    }
                    rp.deliver(std::move(x));
                  },
                  [self, new_name, renamed, rp](caf::error& err) mutable {
                    if (renamed)
                      self->state.names.erase(new_name);
                    rp.deliver(std::move(err));
                  });
          return rp;
        },
        [self](pause_atom, const std::string& org_id,
               const std::string& id) -> caf::result<schedule_record> {
          if (auto* entry = find(self, org_id, id))
            return self->delegate(entry->actor, pause_atom_v);
          return unknown(id);
        },
        [self](resume_atom, const std::string& org_id,
               const std::string& id) -> caf::result<schedule_record> {
          if (auto* entry = find(self, org_id, id))
            return self->delegate(entry->actor, resume_atom_v);
          return unknown(id);
        },
        [self](trigger_atom, const std::string& org_id,
               const std::string& id) -> caf::result<schedule_run_record> {
          if (auto* entry = find(self, org_id, id))
            return self->delegate(entry->actor, trigger_atom_v);
          return unknown(id);
        },
        [self](caf::delete_atom, schedule_atom, const std::string& org_id,
               const std::string& id) -> caf::result<caf::ok_atom> {
          auto* entry = find(self, org_id, id);
          if (entry == nullptr)
            return unknown(id);
          auto rp = self->make_response_promise<caf::ok_atom>();
          self->request(entry->actor, caf::infinite, caf::delete_atom_v)
              .then(
                  [self, id, rp](caf::ok_atom) mutable {
                    auto& st = self->state;
                    if (auto i = st.entries.find(id); i != st.entries.end()) {
                      st.names.erase(std::make_pair(i->second.org_id, i->second.name));
                      self->unlink_from(i->second.actor);
                      st.entries.erase(i);
                    }
                    rp.deliver(caf::ok_atom_v);
                  },
                  [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
          return rp;
        },
        [self](caf::get_atom, schedule_atom, const std::string& org_id,
               const std::string& id) -> caf::result<schedule_record> {
          if (find(self, org_id, id) == nullptr)
            return unknown(id);
          return self->delegate(self->state.reader, caf::get_atom_v, schedule_atom_v, id);
        },
        [self](list_atom, schedule_atom, const std::string& org_id, int64_t limit,
               int64_t offset) -> caf::result<schedule_page> {
          return self->delegate(self->state.reader, list_atom_v, schedule_atom_v, org_id, limit,
                                offset);
        },
        [self](list_atom, runs_atom, const std::string& org_id, const std::string& id,
               int64_t limit, int64_t offset) -> caf::result<schedule_run_page> {
          if (find(self, org_id, id) == nullptr)
            return unknown(id);
          return self->delegate(self->state.reader, list_atom_v, runs_atom_v, id, limit, offset);
        },
    };
  });
}

}  // namespace herald
