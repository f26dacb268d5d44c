#include "tools/herald-load/replay.hpp"

#include <cstdio>
#include <map>
#include <set>

#include <rapidjson/document.h>

namespace herald::load {

namespace v1 = flovyn::v1;

namespace {

uint64_t fnv1a(const std::string& text, uint64_t basis) {
  uint64_t h = basis;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h += 0x9e3779b97f4a7c15ULL;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

std::string member_string(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject())
    return {};
  auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

/// The parts of a history the plan's replay looks at.
struct history_view {
  std::vector<std::string> scheduled_tasks;  ///< taskExecutionId of TASK_SCHEDULED, in order
  std::vector<std::string> started_timers;   ///< timerId of TIMER_STARTED, in order
  std::set<std::string> finished_tasks;
  std::set<std::string> fired_timers;
  int signals = 0;
  int fired = 0;
  std::vector<std::string> problems;
};

history_view view_of(const std::string& workflow_id,
                     const std::vector<v1::WorkflowEvent>& history) {
  history_view view;
  std::map<std::string, int> terminal_count;
  int expected_seq = 1;
  for (const auto& ev : history) {
    if (ev.sequence_number() != expected_seq)
      view.problems.push_back("workflow " + workflow_id + ": history sequence "
                              + std::to_string(ev.sequence_number()) + " where "
                              + std::to_string(expected_seq) + " was expected");
    expected_seq = ev.sequence_number() + 1;
    const auto& type = ev.event_type();
    if (type == "WORKFLOW_COMPLETED" || type == "WORKFLOW_EXECUTION_FAILED") {
      view.problems.push_back("workflow " + workflow_id + " was dispatched again after " + type);
      continue;
    }
    if (type != "TASK_SCHEDULED" && type != "TASK_COMPLETED" && type != "TASK_FAILED"
        && type != "TIMER_STARTED" && type != "TIMER_FIRED" && type != "SIGNAL_RECEIVED")
      continue;
    rapidjson::Document data;
    data.Parse(ev.event_data().data(), ev.event_data().size());
    if (data.HasParseError() || !data.IsObject()) {
      view.problems.push_back("workflow " + workflow_id + ": event "
                              + std::to_string(ev.sequence_number()) + " has no JSON object");
      continue;
    }
    if (type == "TASK_SCHEDULED") {
      view.scheduled_tasks.push_back(member_string(data, "taskExecutionId"));
    } else if (type == "TASK_COMPLETED" || type == "TASK_FAILED") {
      auto id = member_string(data, "taskExecutionId");
      if (type == "TASK_FAILED")
        view.problems.push_back("workflow " + workflow_id + ": task " + id
                                + " failed (load tasks never fail)");
      if (++terminal_count[id] == 2)
        view.problems.push_back("workflow " + workflow_id + ": task " + id
                                + " has two terminal events in the history");
      view.finished_tasks.insert(id);
    } else if (type == "TIMER_STARTED") {
      view.started_timers.push_back(member_string(data, "timerId"));
    } else if (type == "TIMER_FIRED") {
      auto id = member_string(data, "timerId");
      if (!view.fired_timers.insert(id).second)
        view.problems.push_back("workflow " + workflow_id + ": timer " + id + " fired twice");
      ++view.fired;
    } else {
      ++view.signals;
    }
  }
  return view;
}

}  // namespace

std::string deterministic_uuid(const std::string& workflow_id, int counter) {
  auto name = workflow_id + ":" + std::to_string(counter);
  uint64_t hi = fnv1a(name, 0xcbf29ce484222325ULL);
  uint64_t lo = fnv1a(name, 0x84222325cbf29ce4ULL);
  hi = (hi & ~0xF000ULL) | 0x5000ULL;
  lo = (lo & ~(0xC0ULL << 56)) | (0x80ULL << 56);
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

activation_result replay(const workflow_plan& plan, const std::string& workflow_id,
                         const std::vector<v1::WorkflowEvent>& history,
                         const std::string& task_input, sdk_style style) {
  activation_result out;
  auto view = view_of(workflow_id, history);
  out.problems = std::move(view.problems);
  out.fired_timers = view.fired;
  auto& sub = out.submission;
  sub.set_workflow_execution_id(workflow_id);
  bool native = style == sdk_style::native;
  int seq = native ? static_cast<int>(history.size()) + 1 : 1;
  size_t task_cursor = 0;
  size_t timer_cursor = 0;
  int task_counter = 0;
  int timer_counter = 0;
  // A held workflow runs nothing until its first signal.
  bool blocked = plan.signal_first && view.signals == 0;
  for (const auto& stage : plan.stages) {
    if (blocked)
      break;
    for (const auto& item : stage) {
      if (item.kind == plan_item::kind_t::task) {
        auto id = deterministic_uuid(workflow_id, task_counter++);
        if (task_cursor < view.scheduled_tasks.size()) {
          if (view.scheduled_tasks[task_cursor] != id)
            out.problems.push_back("workflow " + workflow_id + ": history schedules task "
                                   + view.scheduled_tasks[task_cursor] + " where the plan has "
                                   + id);
          ++task_cursor;
          blocked |= view.finished_tasks.count(id) == 0;
          continue;
        }
        auto* cmd = sub.add_commands();
        cmd->set_command_type(v1::SCHEDULE_TASK);
        cmd->set_sequence_number(seq++);
        auto* st = cmd->mutable_schedule_task();
        st->set_kind(item.task_kind);
        st->set_task_execution_id(id);
        st->set_input(item.tokens > 0 ? "{\"tokens\":" + std::to_string(item.tokens) + ","
                                            + task_input.substr(1)
                                      : task_input);
        out.new_task_ids.push_back(id);
        blocked = true;
      } else {
        auto id = "timer-" + std::to_string(timer_counter++);
        if (timer_cursor < view.started_timers.size()) {
          if (view.started_timers[timer_cursor] != id)
            out.problems.push_back("workflow " + workflow_id + ": history starts timer "
                                   + view.started_timers[timer_cursor] + " where the plan has "
                                   + id);
          ++timer_cursor;
          blocked |= view.fired_timers.count(id) == 0;
          continue;
        }
        auto* cmd = sub.add_commands();
        cmd->set_command_type(v1::START_TIMER);
        cmd->set_sequence_number(seq++);
        cmd->mutable_start_timer()->set_timer_id(id);
        cmd->mutable_start_timer()->set_duration_ms(item.timer_ms);
        ++out.new_timers;
        blocked = true;
      }
    }
    if (blocked)
      break;
  }
  if (!blocked && plan.wait_for_signal && view.signals < (plan.signal_first ? 2 : 1))
    blocked = true;
  if (blocked) {
    if (native) {
      auto* cmd = sub.add_commands();
      cmd->set_command_type(v1::SUSPEND_WORKFLOW);
      cmd->set_sequence_number(seq);
      cmd->mutable_suspend_workflow()->set_reason("waiting");
    }
    sub.set_status(v1::SUSPENDED);
    return out;
  }
  auto* cmd = sub.add_commands();
  cmd->set_command_type(v1::COMPLETE_WORKFLOW);
  cmd->set_sequence_number(seq);
  cmd->mutable_complete_workflow()->set_output("{\"tasks\":" + std::to_string(task_counter)
                                               + ",\"timers\":" + std::to_string(timer_counter)
                                               + "}");
  sub.set_status(v1::COMPLETED);
  out.completes = true;
  return out;
}

}  // namespace herald::load
