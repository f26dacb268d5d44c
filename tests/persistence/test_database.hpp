#pragma once

// Throwaway databases for the store tests: a SQLite file under /tmp, or a fresh schema in the
// PostgreSQL database named by HERALD_TEST_POSTGRES_URL. Both vanish when the test case ends.

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <unistd.h>
#include <boost/test/unit_test.hpp>

#include "persistence/soci_store.hpp"
#include "persistence/store.hpp"

namespace herald::test {

/// Returns a short random suffix for names that must not collide between runs.
inline std::string unique_suffix() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  std::uniform_int_distribution<uint32_t> dist;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%d_%d_%08x", static_cast<int>(getpid()), ++counter, dist(rd));
  return buf;
}

/// Commits `batch` alone, in one transaction.
inline void commit_one(store& s, write_batch batch) {
  std::vector<write_batch> batches;
  batches.push_back(std::move(batch));
  s.commit(batches);
}

/// A database for one test case.
class test_database {
public:
  virtual ~test_database() = default;

  /// Returns the URL to pass to `open_store` or `store_settings`.
  virtual std::string url() const = 0;

  /// Returns "sqlite3" or "postgresql".
  virtual std::string backend() const = 0;

  /// Opens a new connection.
  std::unique_ptr<store> open() const { return open_store(url()); }

  /// Opens a new connection to a migrated database.
  std::unique_ptr<store> open_migrated() const {
    auto result = open();
    result->migrate();
    return result;
  }
};

/// A SQLite file under /tmp, removed with its WAL files afterwards.
class sqlite_database : public test_database {
public:
  sqlite_database() : path_("/tmp/herald_store_test_" + unique_suffix() + ".db") {
    // nop
  }

  ~sqlite_database() override {
    for (auto suffix : {"", "-wal", "-shm", "-journal"})
      std::remove((path_ + suffix).c_str());
  }

  std::string url() const override { return "sqlite://" + path_; }

  std::string backend() const override { return "sqlite3"; }

  const std::string& path() const { return path_; }

private:
  std::string path_;
};

/// Returns the PostgreSQL URL of the test run, or "".
inline std::string postgres_base_url() {
  auto url = std::getenv("HERALD_TEST_POSTGRES_URL");
  return url != nullptr ? url : "";
}

/// Precondition of the PostgreSQL cases: they run unless HERALD_TEST_POSTGRES_URL is missing and
/// HERALD_TEST_SKIP_POSTGRES=1 says to skip them.
inline boost::test_tools::assertion_result postgres_wanted(boost::unit_test::test_unit_id) {
  auto skip = std::getenv("HERALD_TEST_SKIP_POSTGRES");
  if (postgres_base_url().empty() && skip != nullptr && std::string{skip} == "1") {
    boost::test_tools::assertion_result result{false};
    result.message() << "HERALD_TEST_SKIP_POSTGRES=1 and no HERALD_TEST_POSTGRES_URL";
    return result;
  }
  return true;
}

/// A fresh schema in the test database (first on the connection's search_path), dropped with
/// everything in it afterwards. Connections through `url()` carry the schema name as their
/// application_name.
class postgres_database : public test_database {
public:
  postgres_database() : base_(postgres_base_url()), schema_("herald_test_" + unique_suffix()) {
    if (base_.empty())
      BOOST_FAIL(
          "HERALD_TEST_POSTGRES_URL is not set: the PostgreSQL cases need the "
          "postgresql:// URL of an empty throwaway database (or set "
          "HERALD_TEST_SKIP_POSTGRES=1 to skip them)");
    admin() << "CREATE SCHEMA " + schema_;
  }

  ~postgres_database() override {
    try {
      admin() << "DROP SCHEMA IF EXISTS " + schema_ + " CASCADE";
    } catch (const std::exception& e) {
      BOOST_TEST_MESSAGE("could not drop schema " << schema_ << ": " << e.what());
    }
  }

  std::string url() const override {
    return base_ + (base_.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D"
           + schema_ + "&application_name=" + schema_;
  }

  std::string backend() const override { return "postgresql"; }

  /// Makes the server close every connection opened through `url()`; returns how many.
  int64_t terminate_connections() {
    int64_t count = 0;
    admin() << "SELECT COUNT(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
               " WHERE application_name = :name",
        soci::use(schema_), soci::into(count);
    return count;
  }

  /// Returns the URL of the whole test database, as given.
  const std::string& base_url() const { return base_; }

private:
  /// Returns a session outside the test schema, for creating and dropping it.
  soci::session& admin() {
    if (!admin_) {
      admin_ = std::make_unique<soci::session>(soci::postgresql,
                                               parse_database_url(base_).connect_string);
      *admin_ << "SET client_min_messages = warning";
    }
    return *admin_;
  }

  std::string base_;
  std::string schema_;
  std::unique_ptr<soci::session> admin_;
};

}  // namespace herald::test

/// Defines a test case that runs once against SQLite (`NAME_sqlite3`) and once against
/// PostgreSQL (`NAME_postgresql`); the body receives `herald::test::test_database& db`.
#define HERALD_STORE_TEST(name)                                                          \
  static void name(herald::test::test_database& db);                                     \
  BOOST_AUTO_TEST_CASE(name##_sqlite3) {                                                 \
    herald::test::sqlite_database db;                                                    \
    name(db);                                                                            \
  }                                                                                      \
  BOOST_AUTO_TEST_CASE(name##_postgresql,                                                \
                       *boost::unit_test::precondition(herald::test::postgres_wanted)) { \
    herald::test::postgres_database db;                                                  \
    name(db);                                                                            \
  }                                                                                      \
  static void name(herald::test::test_database& db)
