// A fresh PostgreSQL database per test, on the throwaway cluster tools/test.sh starts
// (tools/pg-cluster.sh): the admin URL comes from PATCHBAY_TEST_PG_URL. Each test creates a
// database of its own with a unique name (tests run in parallel processes: no shared tables) and
// drops it at teardown (WITH (FORCE): connections left open are ended). Without the variable the
// test skips:
//
//   if (!pg_test_db::available()) GTEST_SKIP() << pg_test_db::skip_reason();
//   pg_test_db db;                 // CREATE DATABASE
//   open_postgres_store({db.url()});
//   db.query("SELECT count(*) FROM kv");   // text results, through the test's own connection
#pragma once

#include <string>
#include <vector>

namespace patchbay::test {

class pg_test_db {
 public:
  static bool available();
  static std::string skip_reason();  // names PATCHBAY_TEST_PG_URL and tools/pg-cluster.sh

  pg_test_db();  // throws std::runtime_error when the database cannot be created
  ~pg_test_db();
  pg_test_db(const pg_test_db&) = delete;
  pg_test_db& operator=(const pg_test_db&) = delete;

  const std::string& name() const { return name_; }
  const std::string& url() const { return url_; }  // the test database, as the admin role
  // The admin URL (the cluster's `postgres` database).
  static std::string admin_url();

  // Runs `sql` on the test database (a connection per call) and returns its rows, every column
  // in text form ("" for NULL). Throws std::runtime_error with the server's message.
  std::vector<std::vector<std::string>> query(const std::string& sql) const;
  // The same, on the admin database (pg_terminate_backend, LOCK TABLE ... are run on `url()`).
  static std::vector<std::vector<std::string>> query_on(const std::string& url,
                                                        const std::string& sql);

 private:
  std::string name_, url_;
};

}  // namespace patchbay::test
