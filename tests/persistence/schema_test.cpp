// Embedded migrations, the SQL splitter and database URLs.

#include <stdexcept>

#include <boost/test/unit_test.hpp>

#include "persistence/schema.hpp"
#include "persistence/soci_store.hpp"
#include "tests/persistence/sample_records.hpp"
#include "tests/persistence/test_database.hpp"

using namespace herald;
using namespace herald::test;

BOOST_AUTO_TEST_SUITE(schema_suite)

BOOST_AUTO_TEST_CASE(migrations_are_embedded_for_both_backends) {
  for (auto backend : {"sqlite3", "postgresql"}) {
    BOOST_TEST_CONTEXT(backend) {
      auto migrations = schema_migrations(backend);
      BOOST_REQUIRE(!migrations.empty());
      BOOST_TEST(migrations[0].version == 1);
      BOOST_TEST(migrations[0].name == "001_init");
      BOOST_TEST(migrations[0].sql.find("CREATE TABLE workflow_execution") != std::string::npos);
      BOOST_TEST(migrations[0].sql.find("CREATE TABLE task_log") != std::string::npos);
      // 7 tables and 5 indexes, one statement each.
      BOOST_TEST(split_sql(migrations[0].sql).size() == 12u);
      BOOST_REQUIRE(migrations.size() >= 2u);
      BOOST_TEST(migrations[1].version == 2);
      BOOST_TEST(migrations[1].name == "002_promises");
      // The promise table and two indexes.
      BOOST_TEST(split_sql(migrations[1].sql).size() == 3u);
    }
  }
  BOOST_TEST(schema_migrations("mysql").empty());
}

BOOST_AUTO_TEST_CASE(split_sql_handles_comments_and_quotes) {
  auto parts = split_sql(
      "-- a comment; with a semicolon\n"
      "CREATE TABLE t (x TEXT DEFAULT 'a;b', \"odd;name\" INTEGER);\n"
      "/* block; comment */ INSERT INTO t VALUES ('it''s; fine', 1) ;\n"
      "  ;  \n"
      "SELECT 1");
  BOOST_TEST(parts.size() == 3u);
  BOOST_TEST(parts.at(0) == "CREATE TABLE t (x TEXT DEFAULT 'a;b', \"odd;name\" INTEGER)");
  BOOST_TEST(parts.at(1) == "INSERT INTO t VALUES ('it''s; fine', 1)");
  BOOST_TEST(parts.at(2) == "SELECT 1");
  BOOST_TEST(split_sql("").empty());
  BOOST_TEST(split_sql("-- only a comment").empty());
}

BOOST_AUTO_TEST_CASE(database_urls) {
  // A connection that stops answering fails within 30 s; the URL's own settings win.
  const std::string liveness
      = "tcp_user_timeout=30000&keepalives_idle=10&keepalives_interval=5&keepalives_count=4";
  auto pg = parse_database_url("postgresql://u@127.0.0.1:5432/db");
  BOOST_TEST(pg.backend == "postgresql");
  BOOST_TEST(pg.connect_string
             == "postgresql://u@127.0.0.1:5432/db?connect_timeout=10&" + liveness
                    + "&application_name=herald");
  auto pg_with_query = parse_database_url(
      "postgres://h/db?sslmode=disable&connect_timeout=3&tcp_user_timeout=5000");
  BOOST_TEST(pg_with_query.connect_string
             == "postgres://h/db?sslmode=disable&connect_timeout=3&tcp_user_timeout=5000"
                "&keepalives_idle=10&keepalives_interval=5&keepalives_count=4"
                "&application_name=herald");
  BOOST_TEST(parse_database_url("postgresql://h/db?").connect_string
             == "postgresql://h/db?connect_timeout=10&" + liveness + "&application_name=herald");
  BOOST_TEST(parse_database_url("sqlite:///var/lib/herald.db").backend == "sqlite3");
  BOOST_TEST(parse_database_url("sqlite:///var/lib/herald.db").connect_string
             == "db=\"/var/lib/herald.db\" timeout=10");
  BOOST_TEST(parse_database_url("sqlite:data/h.db").connect_string
             == "db=\"data/h.db\" timeout=10");
  BOOST_TEST(parse_database_url("./my dir/h.db").connect_string
             == "db=\"./my dir/h.db\" timeout=10");

  BOOST_CHECK_THROW(parse_database_url(""), std::invalid_argument);
  BOOST_CHECK_THROW(parse_database_url("sqlite://"), std::invalid_argument);
  BOOST_CHECK_THROW(parse_database_url("mysql://h/db"), std::invalid_argument);
  BOOST_CHECK_THROW(open_store("mysql://h/db"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(sqlite_url_forms_open_the_same_file) {
  sqlite_database db;
  {
    auto s = open_store("sqlite://" + db.path());
    s->migrate();
    s->commit({start_batch("wf-1")});
  }
  for (auto url : {"sqlite:" + db.path(), db.path()}) {
    BOOST_TEST_CONTEXT(url) {
      auto s = open_store(url);
      BOOST_TEST(s->backend() == "sqlite3");
      BOOST_TEST(s->load_workflow("wf-1").has_value());
    }
  }
}

BOOST_AUTO_TEST_CASE(sqlite_path_with_spaces) {
  std::string path = "/tmp/herald store test " + unique_suffix() + ".db";
  {
    auto s = open_store("sqlite:" + path);
    s->migrate();
    s->commit({start_batch("wf-1")});
    BOOST_TEST(s->load_workflow("wf-1").has_value());
  }
  for (auto suffix : {"", "-wal", "-shm"})
    std::remove((path + suffix).c_str());
}

BOOST_AUTO_TEST_CASE(postgres_url_without_parameters_connects,
                     *boost::unit_test::precondition(postgres_wanted)) {
  postgres_database db;
  // The URL as given (no '=' in it, which SOCI 4.0.3 would mangle on its own).
  auto s = open_store(db.base_url());
  BOOST_TEST(s->backend() == "postgresql");
  auto* soci = dynamic_cast<soci_store*>(s.get());
  BOOST_REQUIRE(soci != nullptr);
  BOOST_TEST(soci->connected());
}

BOOST_AUTO_TEST_SUITE_END()
