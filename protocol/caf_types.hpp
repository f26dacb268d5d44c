#pragma once

// The one place where Herald's atoms are declared (forward-compatible 4-argument form, see
// ../shared/reference/cpp-stack-notes.md §1.1). Atom texts use only [0-9A-Za-z_], at most 10 chars.

#include <caf/atom.hpp>
#include <caf/type_id.hpp>

CAF_BEGIN_TYPE_ID_BLOCK(herald, caf::first_custom_type_id)

  CAF_ADD_ATOM(herald, herald, commit_atom, "commit")
  CAF_ADD_ATOM(herald, herald, workflow_atom, "workflow")
  CAF_ADD_ATOM(herald, herald, history_atom, "history")
  CAF_ADD_ATOM(herald, herald, tasks_atom, "tasks")
  CAF_ADD_ATOM(herald, herald, task_atom, "task")
  CAF_ADD_ATOM(herald, herald, org_atom, "org")
  CAF_ADD_ATOM(herald, herald, org_id_atom, "org_id")
  CAF_ADD_ATOM(herald, herald, idem_atom, "idem")
  CAF_ADD_ATOM(herald, herald, worker_atom, "worker")
  CAF_ADD_ATOM(herald, herald, list_atom, "list")
  CAF_ADD_ATOM(herald, herald, children_atom, "children")
  CAF_ADD_ATOM(herald, herald, state_atom, "state")
  CAF_ADD_ATOM(herald, herald, task_state_atom, "task_state")
  CAF_ADD_ATOM(herald, herald, start_atom, "start")
  CAF_ADD_ATOM(herald, herald, poll_atom, "poll")
  CAF_ADD_ATOM(herald, herald, claim_atom, "claim")
  CAF_ADD_ATOM(herald, herald, submit_atom, "submit")
  CAF_ADD_ATOM(herald, herald, complete_atom, "complete")
  CAF_ADD_ATOM(herald, herald, fail_atom, "fail")
  CAF_ADD_ATOM(herald, herald, progress_atom, "progress")
  CAF_ADD_ATOM(herald, herald, emit_atom, "emit")
  CAF_ADD_ATOM(herald, herald, heartbeat_atom, "heartbeat")
  CAF_ADD_ATOM(herald, herald, log_atom, "log")
  CAF_ADD_ATOM(herald, herald, register_atom, "register")
  CAF_ADD_ATOM(herald, herald, enqueue_atom, "enqueue")
  CAF_ADD_ATOM(herald, herald, expire_atom, "expire")
  CAF_ADD_ATOM(herald, herald, queue_atom, "queue")
  CAF_ADD_ATOM(herald, herald, events_atom, "events")
  CAF_ADD_ATOM(herald, herald, finished_atom, "finished")
  CAF_ADD_ATOM(herald, herald, rehydrate_atom, "rehydrate")
  CAF_ADD_ATOM(herald, herald, replay_atom, "replay")
  CAF_ADD_ATOM(herald, herald, passivate_atom, "passivate")
  CAF_ADD_ATOM(herald, herald, release_atom, "release")
  CAF_ADD_ATOM(herald, herald, timer_atom, "timer")
  CAF_ADD_ATOM(herald, herald, signal_atom, "signal")
  CAF_ADD_ATOM(herald, herald, promise_atom, "promise")
  CAF_ADD_ATOM(herald, herald, child_atom, "child")
  CAF_ADD_ATOM(herald, herald, cancel_atom, "cancel")
  CAF_ADD_ATOM(herald, herald, retry_atom, "retry")
  CAF_ADD_ATOM(herald, herald, lease_atom, "lease")
  CAF_ADD_ATOM(herald, herald, deadline_atom, "deadline")
  CAF_ADD_ATOM(herald, herald, attempts_atom, "attempts")

CAF_END_TYPE_ID_BLOCK(herald)
