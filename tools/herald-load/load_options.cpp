#include "tools/herald-load/load_options.hpp"

#include <cstdlib>
#include <random>
#include <sstream>

#include <boost/program_options.hpp>

namespace herald::load {

namespace po = boost::program_options;

namespace {

std::string scenario_list() {
  std::ostringstream out;
  out << "Scenarios:\n";
  for (const auto& s : scenarios())
    out << "  " << s.name << std::string(16 - std::min<size_t>(15, s.name.size()), ' ')
        << s.description << "\n";
  return out.str();
}

}  // namespace

std::optional<load_options> parse_options(int argc, char** argv, std::string& message,
                                          bool& exit_now) {
  exit_now = false;
  load_options o;
  int64_t timer_ms = -1;
  po::options_description opts{
      "herald-load: SDK-like workers and SSE subscribers against a Herald\n\n"
      "Usage: herald-load --scenario NAME [--spawn sqlite|postgresql | --grpc H:P --http H:P]\n"
      "                   [--rate R | --concurrency C] [--duration S | --count N] [options]\n\n"
      "Options"};
  opts.add_options()                                                                         //
      ("help,h", "print this help")                                                          //
      ("list-scenarios", "list the scenarios")                                               //
      ("scenario,s", po::value(&o.scenario_name), "scenario to run (see --list-scenarios)")  //
      ("spawn", po::value(&o.spawn),
       "start a herald on a temporary database: sqlite or postgresql")  //
      ("herald", po::value(&o.herald_binary)->default_value(HERALD_LOAD_DEFAULT_BINARY),
       "herald binary for --spawn (env HERALD_BINARY overrides the default)")  //
      ("herald-arg", po::value(&o.herald_args)->composing(),
       "extra argument for the spawned herald (repeatable)")  //
      ("postgres-url", po::value(&o.postgres_url),
       "with --spawn postgresql: use this (empty, throwaway) database instead of starting one")  //
      ("grpc", po::value(&o.grpc_target), "without --spawn: herald gRPC host:port")              //
      ("http", po::value(&o.http_target), "without --spawn: herald HTTP host:port")              //
      ("api-key", po::value(&o.api_key),
       "without --spawn: a User API key of the default org (env HERALD_API_KEY); --spawn makes "
       "one")  //
      ("org-id", po::value(&o.org_id),
       "without --spawn: the default org's UUID (default: GET /api/orgs/default)")  //
      ("server-pid", po::value(&o.server_pid),
       "without --spawn: report CPU and peak RSS of this process")  //
      ("rate,r", po::value(&o.rate),
       "open loop: start this many workflows per second, whatever the latency")  //
      ("concurrency,c", po::value(&o.concurrency),
       "closed loop: keep this many workflows in flight")                                //
      ("duration,d", po::value(&o.duration_s), "start workflows for this many seconds")  //
      ("count,n", po::value(&o.count), "start this many workflows")                      //
      ("drain-timeout", po::value(&o.drain_timeout_s)->default_value(o.drain_timeout_s),
       "seconds to wait for the workflows in flight once starting has stopped")  //
      ("workers,w", po::value(&o.workers)->default_value(o.workers),
       "simulated SDK workers (one gRPC connection each)")  //
      ("workflow-polls", po::value(&o.workflow_polls)->default_value(o.workflow_polls),
       "concurrent PollWorkflow long polls per worker")  //
      ("task-polls", po::value(&o.task_polls)->default_value(o.task_polls),
       "concurrent PollTask long polls per worker")  //
      ("poll-timeout", po::value(&o.poll_timeout_s)->default_value(o.poll_timeout_s),
       "timeout_seconds of the long polls")  //
      ("task-ms", po::value(&o.task_ms)->default_value(o.task_ms),
       "simulated work per task, in ms")  //
      ("subscribers", po::value(&o.subscribers),
       "SSE subscribers per workflow (default: the scenario's)")  //
      ("idle-workflows", po::value(&o.idle_workflows),
       "sse-fanout: workflows that idle (waiting for a signal) while the load runs; "
       "idle-streams: workflows the streams are spread over")  //
      ("subscribe-first", po::bool_switch(&o.subscribe_first),
       "each workflow waits (for a signal) until its --subscribers have their replay, so "
       "every later event is delivered live to all of them")  //
      ("connect-parallel", po::value(&o.connect_parallel)->default_value(o.connect_parallel),
       "idle-streams: SSE connections opening at once")  //
      ("schedules", po::value(&o.schedules)->default_value(o.schedules),
       "schedules: how many schedules")  //
      ("cron", po::value(&o.cron)->default_value(o.cron),
       "schedules: their cron (6 fields with seconds, or 5)")  //
      ("kill-after", po::value(&o.kill_after_s),
       "schedules, with --spawn: kill -9 herald this many seconds in, and restart it")  //
      ("down-seconds", po::value(&o.down_s)->default_value(o.down_s),
       "schedules: how long herald stays down after the kill")  //
      ("token-interval-ms",
       po::value(&o.shape.token_interval_ms)->default_value(o.shape.token_interval_ms),
       "pause between two tokens of a task (0: back to back, as fast as they commit)")  //
      ("fanout-tokens", po::value(&o.shape.fanout_tokens)->default_value(o.shape.fanout_tokens),
       "sse-fanout: tokens each task streams")  //
      ("payload-bytes", po::value(&o.shape.payload_bytes)->default_value(o.shape.payload_bytes),
       "padding in each workflow and task input")  //
      ("tokens", po::value(&o.shape.tokens)->default_value(o.shape.tokens),
       "tokens: tokens each task streams")  //
      ("timer-ms", po::value(&timer_ms),
       "timers: the sleep between the tasks; timer-lateness: the timer (default 10000)")  //
      ("queue", po::value(&o.queue), "queue name (default: a fresh one per run)")         //
      ("verify", po::value(&o.verify)->default_value(o.verify),
       "full: after the run read every workflow's history and stream again to check the "
       "invariants (and timer lateness); none: only what was seen live")  //
      ("verify-parallel", po::value(&o.verify_parallel)->default_value(o.verify_parallel),
       "verification requests in flight")  //
      ("max-errors", po::value(&o.max_errors)->default_value(o.max_errors),
       "exit with status 3 if more errors than this occurred (-1: no limit)")     //
      ("json", po::value(&o.json_path), "write the report as JSON to this file")  //
      ("seed", po::value(&o.seed), "random seed (mixed scenario)")                //
      ("quiet,q", po::bool_switch(&o.quiet), "no live progress line");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::ostringstream out;
      out << opts << "\n" << scenario_list();
      message = out.str();
      exit_now = true;
      return std::nullopt;
    }
    if (vm.count("list-scenarios")) {
      message = scenario_list();
      exit_now = true;
      return std::nullopt;
    }
    if (vm["herald"].defaulted())
      if (const char* env = std::getenv("HERALD_BINARY"); env && *env)
        o.herald_binary = env;
  } catch (const std::exception& e) {
    message = e.what();
    return std::nullopt;
  }
  o.selected = find_scenario(o.scenario_name);
  if (!o.selected) {
    message = "--scenario must name a scenario\n" + scenario_list();
    return std::nullopt;
  }
  if (!o.spawn.empty() && o.spawn != "sqlite" && o.spawn != "postgresql") {
    message = "--spawn takes sqlite or postgresql";
    return std::nullopt;
  }
  if (o.spawn.empty() && (o.grpc_target.empty() || o.http_target.empty())) {
    message = "give --spawn sqlite|postgresql, or --grpc and --http of a running herald";
    return std::nullopt;
  }
  if ((o.rate > 0) == (o.concurrency > 0)) {
    if (o.rate <= 0 && o.concurrency <= 0) {
      o.rate = 50;
    } else {
      message = "give either --rate (open loop) or --concurrency (closed loop), not both";
      return std::nullopt;
    }
  }
  if (o.duration_s <= 0 && o.count <= 0)
    o.duration_s = 10;
  if (o.verify != "full" && o.verify != "none") {
    message = "--verify takes full or none";
    return std::nullopt;
  }
  if (o.workers < 1 || o.workflow_polls < 1 || o.task_polls < 1 || o.poll_timeout_s < 1
      || o.shape.payload_bytes < 0 || o.shape.tokens < 0 || o.shape.fanout_tokens < 0
      || o.shape.token_interval_ms < 0 || o.verify_parallel < 1 || o.connect_parallel < 1) {
    message
        = "--workers, --workflow-polls, --task-polls, --poll-timeout, --verify-parallel, "
          "--connect-parallel must be positive; --payload-bytes, --tokens, --fanout-tokens and "
          "--token-interval-ms not negative";
    return std::nullopt;
  }
  o.shape.timer_ms = timer_ms >= 0 ? timer_ms : o.selected->default_timer_ms;
  if (o.subscribers < 0)
    o.subscribers = o.selected->default_subscribers;
  if (o.idle_workflows < 0)
    o.idle_workflows = o.selected->default_idle_workflows;
  if (o.selected->mode == scenario_mode::idle_streams
      && (o.idle_workflows < 1 || o.subscribers < 1 || o.subscribe_first)) {
    message
        = "idle-streams needs --idle-workflows and --subscribers of at least 1, and no "
          "--subscribe-first";
    return std::nullopt;
  }
  if (o.selected->mode == scenario_mode::schedules
      && (o.schedules < 1 || o.kill_after_s < 0 || o.down_s < 0
          || (o.kill_after_s > 0 && o.spawn.empty()))) {
    message = "schedules needs --schedules of at least 1; --kill-after needs --spawn";
    return std::nullopt;
  }
  if (o.seed == 0)
    o.seed = std::random_device{}();
  if (o.queue.empty())
    o.queue = "herald-load-" + std::to_string(std::random_device{}());
  for (int i = 0; i < argc; ++i)
    o.command_line += (i ? " " : "") + std::string{i ? argv[i] : "herald-load"};
  return o;
}

}  // namespace herald::load
