// The metrics library without sockets: the text exposition (HELP/TYPE, label escaping, values,
// histograms), the instruments and per-channel blocks under concurrent use, the registry.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "exposition_check.hpp"
#include "metrics/channel_counters.hpp"
#include "metrics/exposition.hpp"
#include "metrics/instruments.hpp"
#include "metrics/registry.hpp"
#include "patchbay/pb_types.h"

namespace {
using namespace patchbay::metrics;
using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(MetricsExposition, FamilyHasHelpAndTypeAndLabelValuesAreEscaped) {
  text_writer w;
  w.family("patchbay_x_total", "Counts \\ things\nacross lines.", metric_type::counter);
  w.sample("patchbay_x_total", {{"channel", "a\\b\"c\nd"}, {"outcome", "ok"}}, uint64_t{42});
  w.sample("patchbay_x_total", {}, uint64_t{7});
  EXPECT_EQ(w.text(),
            "# HELP patchbay_x_total Counts \\\\ things\\nacross lines.\n"
            "# TYPE patchbay_x_total counter\n"
            "patchbay_x_total{channel=\"a\\\\b\\\"c\\nd\",outcome=\"ok\"} 42\n"
            "patchbay_x_total 7\n");
  EXPECT_EQ(metrics_check::check_exposition(w.text()), "");
}

TEST(MetricsExposition, ValuesAreWrittenExactly) {
  EXPECT_EQ(format_value(1.0), "1");
  EXPECT_EQ(format_value(0.05), "0.05");
  EXPECT_EQ(format_value(2.5), "2.5");
  EXPECT_EQ(format_value(120), "120");
  EXPECT_EQ(format_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(format_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(format_value(0.0 / 0.0), "NaN");
  EXPECT_EQ(escape_label_value("plain"), "plain");
  EXPECT_EQ(escape_help("a\"b"), "a\"b");  // quotes stay as they are in HELP
  text_writer w;
  w.family("patchbay_g", "A gauge.", metric_type::gauge);
  w.sample("patchbay_g", {}, int64_t{-3});
  w.sample("patchbay_g", {{"k", "v"}}, 0.125);
  EXPECT_EQ(w.text(),
            "# HELP patchbay_g A gauge.\n# TYPE patchbay_g gauge\npatchbay_g -3\n"
            "patchbay_g{k=\"v\"} 0.125\n");
}

TEST(MetricsExposition, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  histogram h({0.05, 0.1, 0.5});
  h.observe(milliseconds(30));
  h.observe(milliseconds(50));  // on a bound: counted in that bucket (le is inclusive)
  h.observe(milliseconds(200));
  h.observe(std::chrono::seconds(500));
  h.observe(microseconds(-5));  // a clock step backwards counts as 0
  text_writer w;
  w.family("patchbay_d_seconds", "Durations.", metric_type::histogram);
  w.histogram("patchbay_d_seconds", {{"channel", "c"}}, h.read());
  EXPECT_EQ(w.text(),
            "# HELP patchbay_d_seconds Durations.\n"
            "# TYPE patchbay_d_seconds histogram\n"
            "patchbay_d_seconds_bucket{channel=\"c\",le=\"0.05\"} 3\n"
            "patchbay_d_seconds_bucket{channel=\"c\",le=\"0.1\"} 3\n"
            "patchbay_d_seconds_bucket{channel=\"c\",le=\"0.5\"} 4\n"
            "patchbay_d_seconds_bucket{channel=\"c\",le=\"+Inf\"} 5\n"
            "patchbay_d_seconds_sum{channel=\"c\"} 500.28\n"
            "patchbay_d_seconds_count{channel=\"c\"} 5\n");
  EXPECT_EQ(metrics_check::check_exposition(w.text()), "");
  EXPECT_THROW(histogram({1, 0.5}), std::invalid_argument);
}

TEST(MetricsExposition, TheCheckerCatchesMalformedText) {
  // The structural checker used on whole scrapes must be able to fail.
  EXPECT_NE(metrics_check::check_exposition("patchbay_x_total 1\n"), "");
  EXPECT_NE(metrics_check::check_exposition("# HELP a_total h\n# TYPE a_total counter\n"
                                            "# HELP b h\n# TYPE b gauge\nb 1\na_total 2\n"),
            "");
  EXPECT_NE(metrics_check::check_exposition("# HELP a h\n# TYPE a counter\na 1\n"), "");
  EXPECT_NE(metrics_check::check_exposition("# HELP h h\n# TYPE h histogram\n"
                                            "h_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\n"),
            "");
}

TEST(MetricsCounters, CountsFromSeveralThreadsAddUp) {
  registry reg;
  auto ch = reg.channel("wx");
  histogram h(turn_buckets());
  constexpr int threads = 8, per_thread = 20000;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      auto mine = reg.channel("wx");  // the same block from every thread
      for (int i = 0; i < per_thread; ++i) {
        mine->inbound(inbound_outcome::accepted);
        mine->outbound("send", i % 2 == 0 ? PB_OK : PB_ERR_RATE_LIMITED);
        mine->hook_answer(t % 2 == 0 ? 200 : 401);
        h.observe(milliseconds(i % 300));
        reg.turns().started.add();
      }
    });
  for (auto& th : pool) th.join();
  constexpr uint64_t total = uint64_t{threads} * per_thread;
  EXPECT_EQ(ch->inbound_count(inbound_outcome::accepted), total);
  EXPECT_EQ(ch->inbound_count(inbound_outcome::duplicate), 0u);
  EXPECT_EQ(ch->outbound_count(op_kind::send, result_class_index(PB_OK)), total / 2);
  EXPECT_EQ(ch->outbound_count(op_kind::send, result_class_index(PB_ERR_RATE_LIMITED)), total / 2);
  EXPECT_EQ(ch->hook_answers(200) + ch->hook_answers(401), total);
  EXPECT_EQ(h.read().count, total);
  EXPECT_EQ(reg.turns().started.value(), total);
}

TEST(MetricsCounters, ChannelBlockCountsEachEventKind) {
  channel_counters c("x");
  c.outbound("edit", PB_ERR_UNSUPPORTED);
  c.outbound("typing", 77);        // a code this host does not know: "unknown"
  c.outbound("something", PB_OK);  // not an operation: ignored
  EXPECT_EQ(c.outbound_count(op_kind::edit, result_class_index(PB_ERR_UNSUPPORTED)), 1u);
  EXPECT_EQ(std::string(result_class_name(result_class_index(PB_ERR_UNSUPPORTED))), "unsupported");
  EXPECT_EQ(c.outbound_count(op_kind::typing, result_classes - 1), 1u);
  EXPECT_EQ(std::string(result_class_name(result_classes - 1)), "unknown");
  EXPECT_EQ(std::string(result_class_name(0)), "ok");
  uint64_t all = 0;
  for (auto k : all_op_kinds)
    for (int i = 0; i < result_classes; ++i) all += c.outbound_count(k, i);
  EXPECT_EQ(all, 2u);
  // Reconnects are transitions into reconnecting, not reports of it.
  for (bool r : {false, true, true, true, false, false, true}) c.status(r);
  EXPECT_EQ(c.reconnects(), 2u);
  c.hook_answer(409);
  c.hook_answer(42);  // no such status: ignored
  EXPECT_EQ(c.hook_answers(409), 1u);
  EXPECT_EQ(c.hook_answers(42), 0u);
}

TEST(MetricsRegistry, BlocksAreCreatedOnceAndUnknownChannelsWriteZeros) {
  registry reg;
  EXPECT_EQ(reg.find_channel("a"), nullptr);
  auto a = reg.channel("a");
  EXPECT_EQ(reg.channel("a"), a);
  EXPECT_EQ(reg.find_channel("a"), a);
  EXPECT_EQ(reg.agent("echo"), reg.agent("echo"));
  a->inbound(inbound_outcome::duplicate);
  a->hook_answer(403);
  reg.agent("echo")->error(agent_error_kind::timeout);
  text_writer w;
  reg.write_channels(w, {"a", "never\"seen"});
  reg.write_turns(w);
  const std::string& t = w.text();
  EXPECT_NE(t.find("patchbay_inbound_total{channel=\"a\",outcome=\"duplicate\"} 1\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("patchbay_inbound_total{channel=\"never\\\"seen\",outcome=\"accepted\"} 0\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("patchbay_outbound_total{channel=\"a\",kind=\"typing\",class=\"auth\"} 0\n"),
            std::string::npos);
  EXPECT_NE(t.find("patchbay_hook_requests_total{channel=\"a\",code=\"403\"} 1\n"),
            std::string::npos);
  EXPECT_NE(t.find("patchbay_agent_errors_total{agent=\"echo\",kind=\"timeout\"} 1\n"),
            std::string::npos);
  EXPECT_NE(t.find("patchbay_turn_duration_seconds_bucket{le=\"120\"} 0\n"), std::string::npos);
  EXPECT_NE(t.find("patchbay_sse_clients 0\n"), std::string::npos);
  EXPECT_EQ(metrics_check::check_exposition(t), "");
}

}  // namespace
