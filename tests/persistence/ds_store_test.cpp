// Durable streams in the store, on SQLite and PostgreSQL: the stream row and its records (stream
// events), deleted together, and a path taken again by a new stream.

#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "persistence/soci_store.hpp"
#include "tests/persistence/test_database.hpp"

using namespace herald;
using namespace herald::test;

namespace {

ds_stream_record sample_stream(const std::string& id, const std::string& path) {
  ds_stream_record x;
  x.id = id;
  x.org_id = "org-1";
  x.path = path;
  x.content_type = "text/plain";
  x.ttl_s = 3600;
  x.created_ms = x.last_access_ms = 1000;
  return x;
}

keyed_stream_event record(const std::string& stream, int64_t n, const std::string& data) {
  return keyed_stream_event{stream, stream_event{n, "data", "", data, 1000 + n}, "", 0};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ds_store)

HERALD_STORE_TEST(a_stream_and_its_records_commit_and_go_together) {
  auto s = db.open_migrated();
  auto x = sample_stream("ds-1", "chat");
  write_batch create;
  create.ds_streams.push_back(x);
  commit_one(*s, create);
  auto found = s->find_ds_stream("org-1", "chat");
  BOOST_REQUIRE(found);
  BOOST_TEST(found->id == "ds-1");
  BOOST_TEST(found->content_type == "text/plain");
  BOOST_TEST(found->ttl_s == 3600);
  BOOST_TEST(!found->closed);
  BOOST_TEST(!s->find_ds_stream("org-2", "chat"));

  auto appended = x;
  appended.records = 2;
  appended.closed = true;
  appended.last_seq = "b";
  write_batch append;
  append.ds_streams.push_back(appended);
  append.stream_events = {record("ds-1", 1, "aGVsbG8="), record("ds-1", 2, "IHdvcmxk")};
  commit_one(*s, append);
  found = s->find_ds_stream("org-1", "chat");
  BOOST_TEST(found->records == 2);
  BOOST_TEST(found->closed);
  BOOST_TEST(found->last_seq == "b");
  auto records = s->load_stream("ds-1", 1, 10);
  BOOST_REQUIRE(records.size() == 1u);
  BOOST_TEST(records[0].payload == "IHdvcmxk");

  write_batch del;
  del.deleted_ds_streams.push_back("ds-1");
  commit_one(*s, del);
  BOOST_TEST(!s->find_ds_stream("org-1", "chat"));
  BOOST_TEST(s->load_stream("ds-1", 0, 10).empty());

  write_batch again;
  again.ds_streams.push_back(sample_stream("ds-2", "chat"));
  commit_one(*s, again);
  BOOST_TEST(s->find_ds_stream("org-1", "chat")->id == "ds-2");
}

HERALD_STORE_TEST(a_path_holds_one_stream_per_org) {
  auto s = db.open_migrated();
  write_batch first;
  first.ds_streams.push_back(sample_stream("ds-1", "chat"));
  commit_one(*s, first);
  write_batch taken;
  taken.ds_streams.push_back(sample_stream("ds-2", "chat"));
  BOOST_CHECK_THROW(commit_one(*s, taken), std::exception);
  auto other = sample_stream("ds-3", "chat");
  other.org_id = "org-2";
  write_batch elsewhere;
  elsewhere.ds_streams.push_back(other);
  commit_one(*s, elsewhere);
  BOOST_TEST(s->find_ds_stream("org-2", "chat")->id == "ds-3");
}

BOOST_AUTO_TEST_SUITE_END()
