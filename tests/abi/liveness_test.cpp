// ABI minor 2: report_liveness across the boundary in both directions of version skew — the C++
// layer on a host older than minor 2 (no call, no read past the table), the host's table with
// proofs of every size (too short: ignored; longer than ours: accepted), and plugins built before
// minor 2 still loading.
#include <gtest/gtest.h>

#include <string>

#include "patchbay/plugin.hpp"
#include "plugin/host_api.hpp"
#include "plugin/loader.hpp"

namespace {
using namespace patchbay;
using namespace std::chrono_literals;

struct seen_proofs {
  int calls = 0;
  pb_liveness last{};
};
seen_proofs g_seen;

void record_proof(pb_host*, const pb_liveness* p) {
  ++g_seen.calls;
  g_seen.last = *p;
}

TEST(LivenessSdk, NoOpOnAHostOlderThanMinor2) {
  g_seen = {};
  // A minor-1 host's table ends with monotonic_ms. The slot behind it is set here only so that
  // reading it by mistake would show.
  pb_host_api api{};
  api.struct_size = PB_SIZE_THROUGH(pb_host_api, monotonic_ms);
  api.report_liveness = &record_proof;
  sdk::host old_host(&api, nullptr);
  old_host.report_liveness(PB_LIVENESS_PONG, 3s);
  EXPECT_EQ(g_seen.calls, 0);

  api.struct_size = sizeof api;  // the same table from a minor-2 host
  sdk::host new_host(&api, nullptr);
  new_host.report_liveness(PB_LIVENESS_PONG, 3s);
  ASSERT_EQ(g_seen.calls, 1);
  EXPECT_EQ(g_seen.last.struct_size, sizeof(pb_liveness));
  EXPECT_EQ(g_seen.last.kind, PB_LIVENESS_PONG);
  EXPECT_EQ(g_seen.last.window_ms, 3000u);

  new_host.report_liveness(PB_LIVENESS_EVENT, -5ms);  // no deadline, not a huge one
  EXPECT_EQ(g_seen.last.window_ms, 0u);
  new_host.report_liveness(PB_LIVENESS_POLL, std::chrono::hours(24 * 365));
  EXPECT_EQ(g_seen.last.window_ms, 0xFFFFFFFFu);  // clamped, not wrapped

  api.report_liveness = nullptr;  // a host that says it has the slot but left it empty
  new_host.report_liveness(PB_LIVENESS_PONG, 3s);
  EXPECT_EQ(g_seen.calls, 3);
  sdk::host no_host;
  no_host.report_liveness(PB_LIVENESS_PONG, 3s);  // default-constructed: nothing happens
}

struct recording_services final : plugin::host_services {
  void log(int32_t, std::string_view) override {}
  void emit_inbound(const pb_inbound_message&, pb_inbound_done_fn, void*) override {}
  void refuse_inbound(pb_inbound_done_fn, void*, int32_t, std::string_view) override {}
  void report_status(const pb_status&) override {}
  void report_liveness(const pb_liveness& p) override { proofs.push_back(p); }
  int32_t kv_get(std::string_view, pb_kv_value_fn, void*) override { return 0; }
  void kv_write(std::string_view, std::optional<std::string_view>, pb_kv_done_fn, void*) override {}
  void refuse_kv_write(pb_kv_done_fn, void*, std::string_view) override {}
  int64_t now_unix_ms() override { return 0; }
  int64_t monotonic_ms() override { return 0; }
  std::vector<pb_liveness> proofs;
};

TEST(LivenessHost, TableOffersItAndTakesOnlyWellSizedProofs) {
  const pb_host_api* api = plugin::host_api_table();
  ASSERT_TRUE(PB_HAS_FIELD(api, pb_host_api, report_liveness));
  ASSERT_NE(api->report_liveness, nullptr);
  EXPECT_GE(plugin::host_info()->abi_minor, 2u);

  recording_services svc;
  pb_host host{&svc};
  api->report_liveness(&host, nullptr);                // ignored
  api->report_liveness(nullptr, nullptr);              // ignored, no crash
  pb_liveness short_proof{8, PB_LIVENESS_PONG, 1000};  // stops before window_ms
  api->report_liveness(&host, &short_proof);
  EXPECT_TRUE(svc.proofs.empty());

  pb_liveness p{sizeof(pb_liveness), PB_LIVENESS_POLL, 7000};
  api->report_liveness(&host, &p);
  ASSERT_EQ(svc.proofs.size(), 1u);
  EXPECT_EQ(svc.proofs[0].kind, PB_LIVENESS_POLL);
  EXPECT_EQ(svc.proofs[0].window_ms, 7000u);

  // A plugin of a later minor with a longer struct: the host reads what it knows.
  struct longer {
    pb_liveness base;
    uint64_t appended_later;
  } l{{sizeof(longer), PB_LIVENESS_EVENT, 5}, 42};
  api->report_liveness(&host, &l.base);
  ASSERT_EQ(svc.proofs.size(), 2u);
  EXPECT_EQ(svc.proofs[1].struct_size, sizeof(pb_liveness));
  EXPECT_EQ(svc.proofs[1].kind, PB_LIVENESS_EVENT);
  EXPECT_EQ(svc.proofs[1].window_ms, 5u);
}

TEST(LivenessHost, PluginsBuiltBeforeMinor2StillLoad) {
  plugin::loader l({PB_ZOO_DIR});
  for (auto [file, minor] :
       {std::pair{"zoo_minor0", 0u}, std::pair{"zoo_minor1", 1u}, std::pair{"zoo_minor2", 2u}}) {
    auto out = l.load(std::string(PB_ZOO_DIR) + "/patchbay_" + file + ".so");
    ASSERT_TRUE(out.module) << file << ": " << out.error->to_string();
    EXPECT_EQ(out.module->abi_minor, minor);
  }
}

}  // namespace
