// Internals of the PostgreSQL state store engine: one libpq connection (RAII over PGconn and
// PGresult) that runs parameterised statements only — values always travel as parameters, never
// inside the SQL text. Every parameter and every result column is in libpq's binary format, so
// bytea values are byte-exact (embedded NULs survive) and no escaping exists anywhere.
//
// Connection parameters: the operator's URL plus deadlines (connect_timeout, statement_timeout as
// a session setting, tcp_user_timeout and TCP keepalives); the URL's own settings win. Error texts
// name the server as host:port/dbname, never the URL (it carries the password).
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace patchbay::state::pg_detail {

struct pg_settings {
  std::string url;  // libpq URL or key=value string (secret)
  std::chrono::seconds connect_timeout{5};
  std::chrono::milliseconds statement_timeout{10'000};
  std::chrono::milliseconds tcp_user_timeout{10'000};
  std::string application_name = "patchbay";
};

// "host:port/dbname" of a URL, for logs and errors (no user, no password). "" parts are defaults.
std::string describe_server(const std::string& url);

// A failed statement or connection. `broken`: the connection is gone (reconnect, retry);
// otherwise the statement itself failed (the server answered with an error).
class pg_error : public std::runtime_error {
 public:
  pg_error(const std::string& what, bool broken, std::string sqlstate = {})
      : std::runtime_error(what), broken_(broken), sqlstate_(std::move(sqlstate)) {}
  bool broken() const { return broken_; }
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  bool broken_;
  std::string sqlstate_;
};

// Parameters of one statement, in binary format with explicit types.
class pg_params {
 public:
  pg_params& text(const std::string& v);
  pg_params& bytea(const std::string& v);
  pg_params& int8(int64_t v);
  pg_params& boolean(bool v);
  int size() const { return static_cast<int>(values_.size()); }

 private:
  friend class pg_conn;
  pg_params& add(unsigned oid, std::string bytes);
  std::vector<unsigned> types_;
  std::vector<std::string> values_;
};

// A result (binary columns). Accessors by row and column index.
class pg_result {
 public:
  explicit pg_result(PGresult* r) : r_(r, PQclear) {}
  int rows() const { return PQntuples(r_.get()); }
  bool null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string bytes(int row, int col) const;  // text or bytea, byte-exact
  int64_t int8(int row, int col) const;       // int8 (bigint) or int4 columns
  bool boolean(int row, int col) const;
  // Rows the command changed (INSERT/UPDATE/DELETE), from the command tag.
  int64_t changed() const;
  const PGresult* get() const { return r_.get(); }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> r_;
};

class pg_conn {
 public:
  // Connects (blocking, at most connect_timeout). Throws pg_error (broken) naming the server.
  explicit pg_conn(const pg_settings& s);
  ~pg_conn();
  pg_conn(const pg_conn&) = delete;
  pg_conn& operator=(const pg_conn&) = delete;

  // Runs one statement; throws pg_error on any failure.
  pg_result exec(const char* sql, const pg_params& params = {});
  // A statement without parameters or results (BEGIN, COMMIT, LISTEN ...).
  void command(const char* sql);
  // ROLLBACK, errors ignored (after a failure inside a transaction).
  void rollback() noexcept;
  bool ok() const { return PQstatus(c_) == CONNECTION_OK; }
  int backend_pid() const { return PQbackendPID(c_); }
  PGconn* raw() { return c_; }
  const std::string& server() const { return server_; }

 private:
  [[noreturn]] void fail(const PGresult* r, const char* what);
  PGconn* c_ = nullptr;
  std::string server_;
};

}  // namespace patchbay::state::pg_detail
