#include "pg_test_db.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace patchbay::test {

namespace {
std::string env_url() {
  const char* u = std::getenv("PATCHBAY_TEST_PG_URL");
  return u != nullptr ? u : "";
}

// postgresql://USER:PW@HOST:PORT/DB?... with DB replaced by `db`.
std::string with_database(const std::string& url, const std::string& db) {
  const auto scheme = url.find("://");
  const auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (scheme == std::string::npos || slash == std::string::npos)
    throw std::runtime_error("PATCHBAY_TEST_PG_URL is not a postgresql://.../DB URL");
  const auto query = url.find('?', slash);
  return url.substr(0, slash + 1) + db + (query == std::string::npos ? "" : url.substr(query));
}
}  // namespace

bool pg_test_db::available() { return !env_url().empty(); }

std::string pg_test_db::skip_reason() {
  return "PATCHBAY_TEST_PG_URL is not set: no PostgreSQL for this test (tools/test.sh starts a "
         "throwaway cluster with tools/pg-cluster.sh when the server binaries are installed)";
}

std::string pg_test_db::admin_url() { return env_url(); }

std::vector<std::vector<std::string>> pg_test_db::query_on(const std::string& url,
                                                           const std::string& sql) {
  std::unique_ptr<PGconn, void (*)(PGconn*)> c(PQconnectdb(url.c_str()), PQfinish);
  if (PQstatus(c.get()) != CONNECTION_OK)
    throw std::runtime_error(std::string("test connection failed: ") + PQerrorMessage(c.get()));
  std::unique_ptr<PGresult, void (*)(PGresult*)> r(PQexec(c.get(), sql.c_str()), PQclear);
  const auto st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    throw std::runtime_error("test query failed: " + sql + ": " + PQresultErrorMessage(r.get()));
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    rows.emplace_back();
    for (int j = 0; j < PQnfields(r.get()); ++j)
      rows.back().emplace_back(PQgetvalue(r.get(), i, j));
  }
  return rows;
}

pg_test_db::pg_test_db() {
  static std::atomic<int> seq{0};
  const auto t = std::chrono::steady_clock::now().time_since_epoch().count();
  name_ = "pbt_" + std::to_string(::getpid()) + "_" + std::to_string(seq++) + "_" +
          std::to_string(t % 1'000'000'000);
  query_on(admin_url(), "CREATE DATABASE " + name_);
  url_ = with_database(admin_url(), name_);
}

pg_test_db::~pg_test_db() {
  try {
    query_on(admin_url(), "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (...) {  // a leftover database on a throwaway cluster is harmless
  }
}

std::vector<std::vector<std::string>> pg_test_db::query(const std::string& sql) const {
  return query_on(url_, sql);
}

}  // namespace patchbay::test
