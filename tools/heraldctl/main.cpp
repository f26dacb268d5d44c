// heraldctl: start, list, show and watch workflow executions of a herald from a terminal, over
// its public REST and SSE API (docs/cli.md).
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>

#include "tools/heraldctl/commands.hpp"
#include "tools/heraldctl/rest_client.hpp"

namespace {

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace herald::ctl;
  CLI::App app{"heraldctl: start, list, show and watch Herald workflow executions"};
  app.require_subcommand(1);
  app.fallthrough();  // the global options may follow the command too: `heraldctl list --json`
  app.footer(
      "Exit status: 0 done (with --wait or watch: the workflow completed), 1 the workflow failed\n"
      "or was cancelled, 2 bad command line, 3 herald refused the request (4xx), 4 herald is\n"
      "unreachable or failed (5xx).");
  global_options g;
  g.server = env_or("HERALD_URL", g.server);
  g.api_key = env_or("HERALD_API_KEY", "");
  g.org = env_or("HERALD_ORG", g.org);
  app.add_option("--server", g.server, "herald's HTTP address (env HERALD_URL)")
      ->capture_default_str();
  app.add_option("--api-key", g.api_key, "a User API key (env HERALD_API_KEY)");
  app.add_option("--org", g.org, "organization slug (env HERALD_ORG)")->capture_default_str();
  app.add_flag("--json", g.json, "print herald's JSON instead of text");

  std::function<int()> run;

  start_options start;
  auto* start_cmd = app.add_subcommand("start", "start a workflow execution and print its id");
  start_cmd->add_option("kind", start.kind, "workflow kind")->required();
  start_cmd->add_option("--input", start.input, "input as JSON")->capture_default_str();
  start_cmd->add_option("--queue", start.queue, "queue (default: herald's default queue)");
  start_cmd->add_option("--idempotency-key", start.idempotency_key, "start at most once per key");
  start_cmd->add_flag("--wait", start.wait, "wait for the end and print the output");
  start_cmd->add_flag("--watch", start.watch, "show the execution live until it ends");
  start_cmd->callback([&] { run = [&] { return start_workflow(g, start, std::cout); }; });

  list_options list;
  auto* list_cmd = app.add_subcommand("list", "list workflow executions, newest first");
  list_cmd->add_option("--status", list.status, "PENDING, RUNNING, WAITING, COMPLETED, ...");
  list_cmd->add_option("--kind", list.kind, "only this workflow kind");
  list_cmd->add_option("--limit", list.limit, "at most this many")->capture_default_str();
  list_cmd->callback([&] { run = [&] { return list_workflows(g, list, std::cout); }; });

  std::string id;
  auto* show_cmd = app.add_subcommand("show",
                                      "an execution: status, input, output, tasks with their "
                                      "attempts, children, history");
  show_cmd->add_option("id", id, "workflow execution id")->required();
  show_cmd->callback([&] { run = [&] { return show_workflow(g, id, std::cout); }; });

  auto* watch_cmd = app.add_subcommand(
      "watch", "follow an execution and its children live until it ends; resumes by itself");
  watch_cmd->add_option("id", id, "workflow execution id")->required();
  watch_cmd->callback([&] { run = [&] { return watch_workflow(g, id, std::cout); }; });

  std::string name;
  std::string value = "null";
  auto* signal_cmd = app.add_subcommand("signal", "send a signal to an execution");
  signal_cmd->add_option("id", id, "workflow execution id")->required();
  signal_cmd->add_option("name", name, "signal name")->required();
  signal_cmd->add_option("--value", value, "signal value as JSON")->capture_default_str();
  signal_cmd->callback(
      [&] { run = [&] { return signal_workflow(g, id, name, value, std::cout); }; });

  std::string reason = "cancelled with heraldctl";
  auto* cancel_cmd = app.add_subcommand("cancel", "cancel an execution (and its children)");
  cancel_cmd->add_option("id", id, "workflow execution id")->required();
  cancel_cmd->add_option("--reason", reason, "why")->capture_default_str();
  cancel_cmd->callback([&] { run = [&] { return cancel_workflow(g, id, reason, std::cout); }; });

  auto* retry_cmd = app.add_subcommand("retry", "retry a failed execution");
  retry_cmd->add_option("id", id, "workflow execution id")->required();
  retry_cmd->callback([&] { run = [&] { return retry_workflow(g, id, std::cout); }; });

  auto* keys_cmd = app.add_subcommand("keys", "manage the org's API keys (a User key's right)");
  keys_cmd->require_subcommand(1);
  std::string key_type = "User";
  std::string key_name;
  auto* key_create = keys_cmd->add_subcommand("create", "create an API key; printed once");
  key_create->add_option("--type", key_type, "User (REST, SSE, gRPC) or Worker (gRPC)")
      ->check(CLI::IsMember({"User", "Worker"}))
      ->capture_default_str();
  key_create->add_option("--name", key_name, "a name to recognise it by");
  key_create->callback([&] { run = [&] { return create_key(g, key_type, key_name, std::cout); }; });
  auto* key_list = keys_cmd->add_subcommand("list", "list the org's keys and worker tokens");
  key_list->callback([&] { run = [&] { return list_keys(g, std::cout); }; });
  auto* key_revoke = keys_cmd->add_subcommand("revoke", "revoke a key or worker token by id");
  key_revoke->add_option("id", id, "the key's id (see keys list)")->required();
  key_revoke->callback([&] { run = [&] { return revoke_key(g, id, std::cout); }; });

  auto* schedules_cmd = app.add_subcommand("schedules", "manage the org's schedules");
  schedules_cmd->require_subcommand(1);
  schedule_options sched;
  auto* sched_create = schedules_cmd->add_subcommand(
      "create", "create a schedule: --cron (or --at) and --workflow (or --task)");
  sched_create->add_option("name", sched.name, "unique in the org")->required();
  sched_create->add_option("--cron", sched.cron, "5 fields, or 6 with leading seconds");
  sched_create->add_option("--timezone", sched.timezone, "IANA zone for --cron (default UTC)");
  sched_create->add_option("--end-at", sched.end_at, "no fires after this ISO 8601 time");
  sched_create->add_option("--at", sched.at, "fire once at this ISO 8601 time");
  sched_create->add_option("--workflow", sched.workflow, "start a workflow of this kind");
  sched_create->add_option("--task", sched.task, "start a standalone task of this kind");
  sched_create->add_option("--input", sched.input, "input as JSON")->capture_default_str();
  sched_create->add_option("--queue", sched.queue, "queue (default: herald's default queue)");
  sched_create->add_option("--description", sched.description, "what it is for");
  sched_create->add_option("--missed", sched.missed, "missed runs: skip or execute_once")
      ->check(CLI::IsMember({"skip", "execute_once"}));
  sched_create->add_option("--overlap", sched.overlap, "skip, allow or cancel_previous")
      ->check(CLI::IsMember({"skip", "allow", "cancel_previous"}));
  sched_create->callback([&] { run = [&] { return create_schedule(g, sched, std::cout); }; });
  auto* sched_list = schedules_cmd->add_subcommand("list", "list the org's schedules");
  sched_list->callback([&] { run = [&] { return list_schedules(g, std::cout); }; });
  auto* sched_show = schedules_cmd->add_subcommand("show", "a schedule and its latest runs");
  sched_show->add_option("id", id, "schedule id")->required();
  sched_show->callback([&] { run = [&] { return show_schedule(g, id, std::cout); }; });
  std::string action;
  for (const auto& [verb, help] : std::vector<std::pair<std::string, std::string>>{
           {"pause", "stop firing"},
           {"resume", "fire again from now on"},
           {"trigger", "run now and print the run's status and target"},
           {"delete", "delete it and its runs"}}) {
    auto* sub = schedules_cmd->add_subcommand(verb, help);
    sub->add_option("id", id, "schedule id")->required();
    sub->callback([&, verb = verb] {
      action = verb == "delete" ? "" : verb;
      run = [&] { return act_on_schedule(g, id, action, std::cout); };
    });
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    auto code = app.exit(e);
    return code == 0 ? success : usage_error;
  }
  try {
    return run();
  } catch (const cli_error& e) {
    std::cerr << "heraldctl: " << e.what() << '\n';
    return e.code();
  }
}
