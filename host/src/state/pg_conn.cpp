#include "state/pg_conn.hpp"

#include <array>
#include <cstring>

namespace patchbay::state::pg_detail {

namespace {
// Type OIDs (pg_type), stable across server versions.
constexpr unsigned oid_bool = 16;
constexpr unsigned oid_bytea = 17;
constexpr unsigned oid_int8 = 20;
constexpr unsigned oid_text = 25;

std::string first_line(const char* s) {
  std::string out = s != nullptr ? s : "";
  if (auto nl = out.find('\n'); nl != std::string::npos) out.resize(nl);
  return out.empty() ? "unknown error" : out;
}

uint64_t read_be(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
}  // namespace

std::string describe_server(const std::string& url) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (opts == nullptr) {
    PQfreemem(err);
    return "(an unparsable PostgreSQL URL)";
  }
  std::string host, port, db;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (std::strcmp(o->keyword, "host") == 0) host = o->val;
    if (std::strcmp(o->keyword, "port") == 0) port = o->val;
    if (std::strcmp(o->keyword, "dbname") == 0) db = o->val;
  }
  PQconninfoFree(opts);
  return (host.empty() ? "localhost" : host) + ":" + (port.empty() ? "5432" : port) + "/" + db;
}

pg_params& pg_params::add(unsigned oid, std::string bytes) {
  types_.push_back(oid);
  values_.push_back(std::move(bytes));
  return *this;
}
pg_params& pg_params::text(const std::string& v) { return add(oid_text, v); }
pg_params& pg_params::bytea(const std::string& v) { return add(oid_bytea, v); }
pg_params& pg_params::boolean(bool v) { return add(oid_bool, std::string(1, v ? '\1' : '\0')); }
pg_params& pg_params::int8(int64_t v) {
  std::string b(8, '\0');
  auto u = static_cast<uint64_t>(v);
  for (int i = 7; i >= 0; --i, u >>= 8) b[static_cast<size_t>(i)] = static_cast<char>(u & 0xff);
  return add(oid_int8, std::move(b));
}

std::string pg_result::bytes(int row, int col) const {
  return {PQgetvalue(r_.get(), row, col), static_cast<size_t>(PQgetlength(r_.get(), row, col))};
}
int64_t pg_result::int8(int row, int col) const {
  if (null(row, col)) return 0;
  const int n = PQgetlength(r_.get(), row, col);
  const uint64_t u = read_be(PQgetvalue(r_.get(), row, col), n);
  if (n == 4) return static_cast<int32_t>(static_cast<uint32_t>(u));
  return static_cast<int64_t>(u);
}
bool pg_result::boolean(int row, int col) const {
  return !null(row, col) && PQgetvalue(r_.get(), row, col)[0] != 0;
}
int64_t pg_result::changed() const {
  const char* n = PQcmdTuples(r_.get());
  return n != nullptr && *n != '\0' ? std::stoll(n) : 0;
}

pg_conn::pg_conn(const pg_settings& s) : server_(describe_server(s.url)) {
  const std::string connect = std::to_string(std::max<int64_t>(2, s.connect_timeout.count()));
  const std::string user_timeout = std::to_string(s.tcp_user_timeout.count());
  const std::string options =
      "-c statement_timeout=" + std::to_string(s.statement_timeout.count()) +
      " -c lock_timeout=" + std::to_string(s.statement_timeout.count()) +
      " -c client_min_messages=warning";
  // Ours first, the URL last: a setting the operator wrote in the URL wins.
  const std::array<const char*, 10> keys = {"connect_timeout",
                                            "tcp_user_timeout",
                                            "keepalives",
                                            "keepalives_idle",
                                            "keepalives_interval",
                                            "keepalives_count",
                                            "options",
                                            "application_name",
                                            "dbname",
                                            nullptr};
  const std::array<const char*, 10> values = {
      connect.c_str(), user_timeout.c_str(),       "1",           "10",   "5", "3",
      options.c_str(), s.application_name.c_str(), s.url.c_str(), nullptr};
  c_ = PQconnectdbParams(keys.data(), values.data(), 1);
  if (c_ == nullptr)
    throw pg_error("cannot connect to PostgreSQL at " + server_ + ": out of memory", true);
  if (PQstatus(c_) != CONNECTION_OK) {
    std::string why = first_line(PQerrorMessage(c_));
    PQfinish(c_);
    c_ = nullptr;
    throw pg_error("cannot connect to PostgreSQL at " + server_ + ": " + why, true);
  }
}

pg_conn::~pg_conn() {
  if (c_ != nullptr) PQfinish(c_);
}

void pg_conn::fail(const PGresult* r, const char* what) {
  const bool broken = PQstatus(c_) != CONNECTION_OK;
  std::string msg = r != nullptr ? first_line(PQresultErrorMessage(r)) : "";
  if (msg == "unknown error") msg = first_line(PQerrorMessage(c_));
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  throw pg_error(std::string(what) + " on " + server_ + ": " + msg, broken, state ? state : "");
}

pg_result pg_conn::exec(const char* sql, const pg_params& p) {
  std::vector<const char*> vals;
  std::vector<int> lens, fmts;
  for (const auto& v : p.values_) {
    vals.push_back(v.data());
    lens.push_back(static_cast<int>(v.size()));
    fmts.push_back(1);
  }
  pg_result r(
      PQexecParams(c_, sql, p.size(), p.types_.data(), vals.data(), lens.data(), fmts.data(), 1));
  const auto st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail(r.get(), "PostgreSQL statement failed");
  return r;
}

void pg_conn::command(const char* sql) { exec(sql); }

void pg_conn::rollback() noexcept {
  if (ok()) PQclear(PQexec(c_, "ROLLBACK"));
}

}  // namespace patchbay::state::pg_detail
