#pragma once

// Records with every field set to a distinct value, and comparisons that name the differing field.

#include <string>

#include <boost/test/unit_test.hpp>

#include "persistence/write_batch.hpp"
#include "protocol/records.hpp"

namespace herald::test {

inline org_record sample_org(const std::string& id) {
  return {id, "slug-" + id, "Org \"" + id + "\" ünïcode", 1'700'000'000'123};
}

inline workflow_record sample_workflow(const std::string& id, const std::string& org = "org-1") {
  workflow_record x;
  x.id = id;
  x.org_id = org;
  x.kind = "order-processing";
  x.queue = "default";
  x.status = workflow_status::waiting;
  x.input = R"({"amount":12.5,"items":["a","b"],"note":"it's \"quoted\""})";
  x.output = "";
  x.error = "boom: 'single' and \"double\" quotes; semicolon";
  x.worker_id = "worker-7";
  x.parent_id = "parent-" + id;
  x.version = "1.2.3";
  x.idempotency_key = "";
  x.metadata = {{"team", "payments"}, {"empty", ""}, {"json", R"({"a":[1,2]})"}, {"ü", "ß"}};
  x.priority_ms = -42;
  x.current_sequence = 17;
  x.stream_offset = 9'000'000'000;
  x.task_time_ms = 1'700'000'000'456;
  x.created_ms = 1'700'000'000'001;
  x.updated_ms = 1'700'000'000'002;
  x.completed_ms = 0;
  return x;
}

inline task_record sample_task(const std::string& id, const std::string& workflow_id = "wf-1") {
  task_record x;
  x.id = id;
  x.org_id = "org-1";
  x.workflow_id = workflow_id;
  x.kind = "send-email";
  x.queue = "mail";
  x.status = task_status::running;
  x.input = R"({"to":"a@b.c"})";
  x.output = "";
  x.error = "";
  x.worker_id = "worker-3";
  x.execution_count = 2;
  x.max_retries = 5;
  x.timeout_ms = 30'000;
  x.progress = 1.0 / 3.0;
  x.progress_details = "a third";
  x.created_ms = 1'700'000'000'010;
  x.started_ms = 1'700'000'000'020;
  x.completed_ms = 0;
  return x;
}

inline worker_record sample_worker(const std::string& id) {
  worker_record x;
  x.id = id;
  x.org_id = "org-1";
  x.name = "worker \"one\"";
  x.version = "0.9";
  x.type = "UNIFIED";
  x.host_name = "host-a";
  x.process_id = "4242";
  x.workflow_kinds = {"order-processing", "refund", "with \"quote\""};
  x.task_kinds = {};
  x.metadata = R"({"region":"eu","ü":[1,2]})";
  x.registered_ms = 1'700'000'000'100;
  x.heartbeat_ms = 1'700'000'000'200;
  return x;
}

inline history_event sample_event(int32_t sequence) {
  return {sequence, "TASK_COMPLETED",
          R"({"taskExecutionId":"t-)" + std::to_string(sequence) + R"(","output":{"ok":true}})",
          1'700'000'000'000 + sequence};
}

inline stream_event sample_stream_event(int64_t offset) {
  return {offset, offset % 2 == 0 ? "token" : "data", offset % 2 == 0 ? "" : "TASK_CREATED",
          "payload " + std::to_string(offset), 1'700'000'001'000 + offset};
}

/// Returns a batch that appends history events.
inline write_batch history_batch(std::vector<keyed_history_event> events) {
  write_batch b;
  b.events = std::move(events);
  return b;
}

/// Returns a batch that appends stream events.
inline write_batch stream_batch(std::vector<keyed_stream_event> events) {
  write_batch b;
  b.stream_events = std::move(events);
  return b;
}

/// Returns a batch that creates a workflow with its first history and stream event.
inline write_batch start_batch(const std::string& workflow_id) {
  write_batch b;
  b.workflows.push_back(sample_workflow(workflow_id));
  b.events.push_back({workflow_id, sample_event(1)});
  b.stream_events.push_back({workflow_id, sample_stream_event(1)});
  return b;
}

inline void check_equal(const org_record& x, const org_record& y) {
  BOOST_TEST(x.id == y.id);
  BOOST_TEST(x.slug == y.slug);
  BOOST_TEST(x.name == y.name);
  BOOST_TEST(x.created_ms == y.created_ms);
}

inline void check_equal(const workflow_record& x, const workflow_record& y) {
  BOOST_TEST(x.id == y.id);
  BOOST_TEST(x.org_id == y.org_id);
  BOOST_TEST(x.kind == y.kind);
  BOOST_TEST(x.queue == y.queue);
  BOOST_TEST(std::string{to_string(x.status)} == to_string(y.status));
  BOOST_TEST(x.input == y.input);
  BOOST_TEST(x.output == y.output);
  BOOST_TEST(x.error == y.error);
  BOOST_TEST(x.worker_id == y.worker_id);
  BOOST_TEST(x.parent_id == y.parent_id);
  BOOST_TEST(x.version == y.version);
  BOOST_TEST(x.idempotency_key == y.idempotency_key);
  BOOST_TEST((x.metadata == y.metadata));
  BOOST_TEST(x.priority_ms == y.priority_ms);
  BOOST_TEST(x.current_sequence == y.current_sequence);
  BOOST_TEST(x.stream_offset == y.stream_offset);
  BOOST_TEST(x.task_time_ms == y.task_time_ms);
  BOOST_TEST(x.created_ms == y.created_ms);
  BOOST_TEST(x.updated_ms == y.updated_ms);
  BOOST_TEST(x.completed_ms == y.completed_ms);
}

inline void check_equal(const task_record& x, const task_record& y) {
  BOOST_TEST(x.id == y.id);
  BOOST_TEST(x.org_id == y.org_id);
  BOOST_TEST(x.workflow_id == y.workflow_id);
  BOOST_TEST(x.kind == y.kind);
  BOOST_TEST(x.queue == y.queue);
  BOOST_TEST(std::string{to_string(x.status)} == to_string(y.status));
  BOOST_TEST(x.input == y.input);
  BOOST_TEST(x.output == y.output);
  BOOST_TEST(x.error == y.error);
  BOOST_TEST(x.worker_id == y.worker_id);
  BOOST_TEST(x.execution_count == y.execution_count);
  BOOST_TEST(x.max_retries == y.max_retries);
  BOOST_TEST(x.timeout_ms == y.timeout_ms);
  BOOST_TEST(x.progress == y.progress);  // exact: doubles must round-trip bit for bit
  BOOST_TEST(x.progress_details == y.progress_details);
  BOOST_TEST(x.created_ms == y.created_ms);
  BOOST_TEST(x.started_ms == y.started_ms);
  BOOST_TEST(x.completed_ms == y.completed_ms);
}

inline void check_equal(const worker_record& x, const worker_record& y) {
  BOOST_TEST(x.id == y.id);
  BOOST_TEST(x.org_id == y.org_id);
  BOOST_TEST(x.name == y.name);
  BOOST_TEST(x.version == y.version);
  BOOST_TEST(x.type == y.type);
  BOOST_TEST(x.host_name == y.host_name);
  BOOST_TEST(x.process_id == y.process_id);
  BOOST_TEST((x.workflow_kinds == y.workflow_kinds));
  BOOST_TEST((x.task_kinds == y.task_kinds));
  BOOST_TEST(x.metadata == y.metadata);
  BOOST_TEST(x.registered_ms == y.registered_ms);
  BOOST_TEST(x.heartbeat_ms == y.heartbeat_ms);
}

inline void check_equal(const history_event& x, const history_event& y) {
  BOOST_TEST(x.sequence == y.sequence);
  BOOST_TEST(x.type == y.type);
  BOOST_TEST(x.data == y.data);
  BOOST_TEST(x.created_ms == y.created_ms);
}

inline void check_equal(const stream_event& x, const stream_event& y) {
  BOOST_TEST(x.offset == y.offset);
  BOOST_TEST(x.event == y.event);
  BOOST_TEST(x.name == y.name);
  BOOST_TEST(x.payload == y.payload);
  BOOST_TEST(x.timestamp_ms == y.timestamp_ms);
}

}  // namespace herald::test
