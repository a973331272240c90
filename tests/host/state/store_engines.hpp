// The state store contract tests run on every engine: value-parameterised over {sqlite, postgres}.
// Each test gets a fresh database of its engine (a temp SQLite file; a PostgreSQL database of its
// own, tests/support/pg_test_db.hpp) and reads the tables behind the store's back through a
// connection of its own. The postgres instances skip when no cluster is configured.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pg_test_db.hpp"
#include "state/pg_store.hpp"
#include "state/store.hpp"

namespace patchbay::state::testing_engines {

enum class engine { sqlite, postgres };

struct stored_turn {
  std::string turn_id;
  bool terminal = false;
  std::string outcome, flushed_text, placeholder_id;
};

// One test's database.
class engine_env {
 public:
  virtual ~engine_env() = default;
  virtual std::unique_ptr<store> open(store_options o) = 0;
  virtual int64_t count_rows(const std::string& table) = 0;
  // Every turn row, by turn id (byte order).
  virtual std::vector<stored_turn> stored_turns() = 0;
};

class sqlite_env final : public engine_env {
 public:
  sqlite_env() {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~sqlite_env() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<store> open(store_options o) override {
    return open_sqlite_store(db().string(), std::move(o));
  }
  std::filesystem::path db() const { return dir_ / "state.db"; }
  int64_t count_rows(const std::string& table) override {
    auto rows = query("SELECT count(*) FROM " + table);
    return rows.empty() ? -1 : std::stoll(rows[0][0]);
  }
  std::vector<stored_turn> stored_turns() override {
    std::vector<stored_turn> out;
    for (auto& r : query("SELECT turn_id, terminal, outcome, flushed_text, placeholder_id "
                         "FROM turns ORDER BY turn_id"))
      out.push_back({r[0], r[1] != "0", r[2], r[3], r[4]});
    return out;
  }

 private:
  std::vector<std::vector<std::string>> query(const std::string& sql) {
    std::vector<std::vector<std::string>> out;
    sqlite3* c = nullptr;
    EXPECT_EQ(sqlite3_open_v2(db().c_str(), &c, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(c, sql.c_str(), -1, &s, nullptr), SQLITE_OK);
    while (s != nullptr && sqlite3_step(s) == SQLITE_ROW) {
      out.emplace_back();
      for (int i = 0; i < sqlite3_column_count(s); ++i) {
        auto* p = static_cast<const char*>(sqlite3_column_blob(s, i));
        out.back().emplace_back(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(s, i)));
      }
    }
    sqlite3_finalize(s);
    sqlite3_close(c);
    return out;
  }
  std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() /
      ("pb_state_" + std::to_string(::getpid()) + "_" +
       ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "_" +
       ::testing::UnitTest::GetInstance()->current_test_info()->name());
};

class postgres_env final : public engine_env {
 public:
  std::unique_ptr<store> open(store_options o) override {
    postgres_options pg;
    pg.url = db_.url();
    return open_postgres_store(pg, std::move(o));
  }
  int64_t count_rows(const std::string& table) override {
    return std::stoll(db_.query("SELECT count(*) FROM " + table)[0][0]);
  }
  std::vector<stored_turn> stored_turns() override {
    std::vector<stored_turn> out;
    for (auto& r : db_.query("SELECT turn_id, terminal, outcome, "
                             "convert_from(flushed_text, 'UTF8'), placeholder_id FROM turns "
                             "ORDER BY turn_id COLLATE \"C\""))
      out.push_back({r[0], r[1] == "t", r[2], r[3], r[4]});
    return out;
  }
  const test::pg_test_db& db() const { return db_; }

 private:
  test::pg_test_db db_;
};

inline std::string engine_name(const ::testing::TestParamInfo<engine>& info) {
  return info.param == engine::sqlite ? "sqlite" : "postgres";
}

// The fixture every contract test derives from: env() is the test's database.
class EngineTest : public ::testing::TestWithParam<engine> {
 protected:
  void SetUp() override {
    if (GetParam() == engine::postgres) {
      if (!test::pg_test_db::available()) GTEST_SKIP() << test::pg_test_db::skip_reason();
      env_ = std::make_unique<postgres_env>();
    } else {
      env_ = std::make_unique<sqlite_env>();
    }
  }
  engine_env& env() { return *env_; }

 private:
  std::unique_ptr<engine_env> env_;
};

}  // namespace patchbay::state::testing_engines

// Instantiates a contract suite on both engines (test names end in /sqlite and /postgres).
#define PB_STORE_ENGINES(suite)                                                \
  INSTANTIATE_TEST_SUITE_P(                                                    \
      Engines, suite,                                                          \
      ::testing::Values(::patchbay::state::testing_engines::engine::sqlite,    \
                        ::patchbay::state::testing_engines::engine::postgres), \
      ::patchbay::state::testing_engines::engine_name)
