// The host API table (host/src/plugin/host_api.cpp) keeps the header's promise that every
// callback a plugin hands it runs exactly once: for arguments it refuses (a NULL message, a view
// with data == NULL and size > 0, a NULL host) as for accepted ones. Driven through the real path:
// the loader, a channel_instance with a SQLite store, and the zoo plugin built with ZOO_BAD_VIEWS;
// and through the table alone for a NULL host and for a host that fails internally.
#include <gtest/gtest.h>

#include <unistd.h>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "patchbay/kit/runtime.hpp"
#include "plugin/channel_instance.hpp"
#include "plugin/loader.hpp"
#include "state/store.hpp"

namespace {
using namespace patchbay;
using namespace std::chrono_literals;

// The status reasons the plugin reports, in order.
struct reasons {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> seen;

  plugin::instance_events events() {
    plugin::instance_events ev;
    ev.status = [this](const pb_status& s) {
      std::lock_guard lk(mu);
      seen.emplace_back(plugin::to_view(s.reason));
      cv.notify_all();
    };
    return ev;
  }
  // The first reason starting with `prefix`, or "" after 10 s.
  std::string wait_for(const std::string& prefix) {
    std::unique_lock lk(mu);
    std::string found;
    cv.wait_for(lk, 10s, [&] {
      for (const auto& r : seen) {
        if (r.rfind(prefix, 0) == 0) {
          found = r;
          return true;
        }
      }
      return false;
    });
    return found;
  }
};

class HostApiCallbacks : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::filesystem::temp_directory_path() /
          ("pb_host_api_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    std::filesystem::remove(db_);
    store_ = state::open_sqlite_store(db_.string());
  }
  void TearDown() override {
    store_->close();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_.string() + suffix);
  }

  kit::io_runtime rt_{2};
  std::filesystem::path db_;
  std::unique_ptr<state::store> store_;
  plugin::loader loader_{{PB_ZOO_DIR}};
  reasons reasons_;
};

// <case>=<calls>/<inline>/<refused>: each callback ran once and said "refused"; inside the call
// only where the host has no instance to queue the answer on (a NULL host).
constexpr const char* expected_counts =
    " emit_null_msg=1/0/1 emit_bad_view=1/0/1 emit_null_host=1/1/1 kv_set_bad_key=1/0/1"
    " kv_set_bad_value=1/0/1 kv_delete_bad_key=1/0/1 kv_set_null_host=1/1/1";

TEST_F(HostApiCallbacks, RefusedCallsStillCompleteExactlyOnce) {
  auto out = loader_.load("zoo_bad_views");
  ASSERT_TRUE(out.module) << out.error->to_string();
  auto inst = plugin::channel_instance::make(rt_, out.module, "chan-bad-views", "{}", *store_,
                                             reasons_.events());
  std::promise<std::string> started;
  inst->start([&](const std::string& e) { started.set_value(e); });
  auto f = started.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  ASSERT_EQ(f.get(), "");

  EXPECT_EQ(reasons_.wait_for("counts:"), std::string("counts:") + expected_counts);

  std::promise<void> stopped;
  inst->shutdown(2s, [&] { stopped.set_value(); });
  ASSERT_EQ(stopped.get_future().wait_for(10s), std::future_status::ready);
  // Still once each when the instance stops: no late second call.
  EXPECT_EQ(reasons_.wait_for("stop:"), std::string("stop:") + expected_counts);
}

// A host whose service fails internally on every call that takes a callback (host_services'
// contract: it threw before scheduling anything). host_api.cpp then answers inside the call.
struct throwing_services final : plugin::host_services {
  void log(int32_t, std::string_view) override {}
  void emit_inbound(const pb_inbound_message&, pb_inbound_done_fn, void*) override {
    throw std::runtime_error("out of memory");
  }
  void refuse_inbound(pb_inbound_done_fn, void*, int32_t, std::string_view) override {
    throw std::bad_alloc();
  }
  void report_status(const pb_status&) override {}
  void report_liveness(const pb_liveness&) override {}
  int32_t kv_get(std::string_view, pb_kv_value_fn, void*) override { return 0; }
  void kv_write(std::string_view, std::optional<std::string_view>, pb_kv_done_fn, void*) override {
    throw std::runtime_error("store exploded");
  }
  void refuse_kv_write(pb_kv_done_fn, void*, std::string_view) override { throw 42; }
  int64_t now_unix_ms() override { return 0; }
  int64_t monotonic_ms() override { return 0; }
};

struct tally {
  int calls = 0;
  int32_t disposition = 0;
  int32_t code = PB_OK;
};
void on_inbound(void* ud, int32_t disposition, const pb_error* e) {
  auto* t = static_cast<tally*>(ud);
  ++t->calls;
  t->disposition = disposition;
  t->code = e ? e->code : PB_OK;
}
void on_kv(void* ud, const pb_error* e) {
  auto* t = static_cast<tally*>(ud);
  ++t->calls;
  t->code = e ? e->code : PB_OK;
}

TEST(HostApiTable, HostFailureStillAnswersEachCallbackOnce) {
  throwing_services svc;
  pb_host host{&svc};
  const pb_host_api* api = plugin::host_api_table();
  pb_inbound_message m{};
  m.struct_size = sizeof m;
  m.event_id = {"e-1", 3};
  m.conversation_id = {"c", 1};
  pb_str key{"k", 1}, bad{nullptr, 3};
  tally emit, emit_null, set, set_bad, del;
  api->emit_inbound(&host, &m, &on_inbound, &emit);
  api->emit_inbound(&host, nullptr, &on_inbound, &emit_null);
  api->kv_set(&host, key, key, &on_kv, &set);
  api->kv_set(&host, bad, key, &on_kv, &set_bad);
  api->kv_delete(&host, key, &on_kv, &del);
  api->kv_set(&host, key, key, nullptr, nullptr);  // nothing to call: simply returns
  api->emit_inbound(&host, &m, nullptr, nullptr);

  for (const tally* t : {&emit, &emit_null}) {
    EXPECT_EQ(t->calls, 1);
    EXPECT_EQ(t->disposition, PB_INBOUND_REFUSED);
    EXPECT_EQ(t->code, PB_ERR_RETRYABLE);
  }
  for (const tally* t : {&set, &set_bad, &del}) {
    EXPECT_EQ(t->calls, 1);
    EXPECT_EQ(t->code, PB_ERR_RETRYABLE);
  }
}

TEST(HostApiTable, NullHostIsRefusedInsideTheCall) {
  const pb_host_api* api = plugin::host_api_table();
  pb_inbound_message m{};
  m.struct_size = sizeof m;
  pb_str key{"k", 1};
  tally emit, set, del;
  api->emit_inbound(nullptr, &m, &on_inbound, &emit);
  api->kv_set(nullptr, key, key, &on_kv, &set);
  api->kv_delete(nullptr, key, &on_kv, &del);
  EXPECT_EQ(emit.calls, 1);
  EXPECT_EQ(emit.disposition, PB_INBOUND_REFUSED);
  EXPECT_EQ(emit.code, PB_ERR_INVALID_INPUT);
  for (const tally* t : {&set, &del}) {
    EXPECT_EQ(t->calls, 1);
    EXPECT_EQ(t->code, PB_ERR_INVALID_INPUT);
  }
}

}  // namespace
