// counted_events: a channel's instance events keep doing what they did (status board, health
// evidence, turns) and are also counted in the channel's metric block, once per event.
#include <gtest/gtest.h>

#include "app/channel_metrics.hpp"

namespace {
using namespace patchbay;

pb_status status_of(int32_t state) {
  pb_status st{};
  st.struct_size = sizeof st;
  st.state = state;
  return st;
}

TEST(ChannelMetrics, WrappedEventsCallTheOriginalsAndCount) {
  std::vector<std::string> seen;
  plugin::instance_events ev;
  ev.status = [&](const pb_status& st) { seen.push_back("status " + std::to_string(st.state)); };
  ev.inbound_outcome = [&](pb_inbound_disposition d) {
    seen.push_back("inbound " + std::to_string(d));
  };
  ev.op_outcome = [&](std::string_view what, const messages::op_result& r) {
    seen.push_back(std::string(what) + " " + std::to_string(r.code));
  };
  auto c = std::make_shared<metrics::channel_counters>("wx");
  auto counted = app::counted_events(std::move(ev), c);

  counted.status(status_of(PB_STATE_CONNECTED));
  counted.status(status_of(PB_STATE_RECONNECTING));
  counted.status(status_of(PB_STATE_RECONNECTING));
  counted.status(status_of(PB_STATE_CONNECTED));
  counted.inbound_outcome(PB_INBOUND_ACCEPTED);
  counted.inbound_outcome(PB_INBOUND_DUPLICATE);
  counted.inbound_outcome(PB_INBOUND_REFUSED);
  messages::op_result ok, limited;
  limited.code = PB_ERR_RATE_LIMITED;
  counted.op_outcome("send", ok);
  counted.op_outcome("edit", limited);
  counted.op_outcome("typing", ok);

  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(seen[1], "status " + std::to_string(PB_STATE_RECONNECTING));
  EXPECT_EQ(seen[8], "edit " + std::to_string(PB_ERR_RATE_LIMITED));
  EXPECT_EQ(c->reconnects(), 1u);
  for (auto o : metrics::all_inbound_outcomes) EXPECT_EQ(c->inbound_count(o), 1u);
  EXPECT_EQ(c->outbound_count(metrics::op_kind::send, metrics::result_class_index(PB_OK)), 1u);
  EXPECT_EQ(
      c->outbound_count(metrics::op_kind::edit, metrics::result_class_index(PB_ERR_RATE_LIMITED)),
      1u);
  EXPECT_EQ(c->outbound_count(metrics::op_kind::typing, metrics::result_class_index(PB_OK)), 1u);
}

TEST(ChannelMetrics, EventsWithoutHandlersAreStillCountedAndNullCountersChangeNothing) {
  auto c = std::make_shared<metrics::channel_counters>("x");
  auto counted = app::counted_events({}, c);
  ASSERT_TRUE(counted.op_outcome);
  counted.op_outcome("send", messages::op_result{});
  counted.inbound_outcome(PB_INBOUND_ACCEPTED);
  EXPECT_EQ(c->outbound_count(metrics::op_kind::send, 0), 1u);
  EXPECT_EQ(c->inbound_count(metrics::inbound_outcome::accepted), 1u);
  auto untouched = app::counted_events({}, nullptr);
  EXPECT_FALSE(untouched.op_outcome);
  EXPECT_FALSE(untouched.status);
}

}  // namespace
