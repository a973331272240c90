// Fragment reassembly on an injected clock: order, duplicates, validation, timeout and bounds.
#include <gtest/gtest.h>

#include <algorithm>

#include "feishu_lark/proto/fragments.hpp"
#include "feishu_lark/proto/ws_frames.hpp"

namespace fam = patchbay::plugins::feishu_family;
namespace pb = fam::pbbp2;

namespace {

std::vector<pb::frame> split(std::string_view payload, size_t parts, std::string_view id) {
  return fam::split_event(payload, parts, id, "trace", 1, 11, 22);
}

}  // namespace

TEST(Fragments, UnsplitEventCompletesAtOnce) {
  fam::fragment_reassembler r;
  auto out = r.add(split("{\"a\":1}", 1, "m")[0], 0);
  ASSERT_EQ(out.status, fam::fragment_status::complete);
  EXPECT_EQ(out.frame.payload, "{\"a\":1}");
  EXPECT_EQ(r.pending(), 0u);
}

TEST(Fragments, OutOfOrderFragmentsJoinInSeqOrderAndTheLastOneIsEchoed) {
  fam::fragment_reassembler r;
  const std::string payload = R"({"schema":"2.0","header":{"event_id":"e"},"event":{}})";
  auto frames = split(payload, 4, "m");
  std::reverse(frames.begin(), frames.end());
  for (size_t i = 0; i + 1 < frames.size(); ++i)
    EXPECT_EQ(r.add(frames[i], 0).status, fam::fragment_status::pending);
  EXPECT_EQ(r.pending(), 1u);
  auto out = r.add(frames.back(), 0);
  ASSERT_EQ(out.status, fam::fragment_status::complete);
  EXPECT_EQ(out.frame.payload, payload);
  EXPECT_EQ(pb::header_value(out.frame, "seq"), "0");  // the completing fragment's frame
  EXPECT_EQ(out.frame.seq_id, 11u);
  EXPECT_EQ(r.pending(), 0u);
  EXPECT_EQ(r.pending_bytes(), 0u);
  EXPECT_EQ(r.stats().completed, 1u);
}

TEST(Fragments, DuplicateFragmentReplacesItsSlot) {
  fam::fragment_reassembler r;
  auto frames = split("aabb", 2, "m");
  EXPECT_EQ(r.add(frames[0], 0).status, fam::fragment_status::pending);
  EXPECT_EQ(r.add(frames[0], 0).status, fam::fragment_status::pending);
  EXPECT_EQ(r.pending_bytes(), 2u);
  auto out = r.add(frames[1], 0);
  ASSERT_EQ(out.status, fam::fragment_status::complete);
  EXPECT_EQ(out.frame.payload, "aabb");
}

TEST(Fragments, InvalidMetadataIsRejected) {
  fam::fragment_reassembler r;
  auto f = split("abcd", 2, "m")[0];
  auto with = [&](std::string_view key, std::string_view value) {
    pb::frame g = f;
    for (auto& h : g.headers)
      if (h.key == key) h.value = std::string(value);
    return g;
  };
  EXPECT_EQ(r.add(with("sum", "0"), 0).status, fam::fragment_status::rejected);
  EXPECT_EQ(r.add(with("sum", "x"), 0).status, fam::fragment_status::rejected);
  EXPECT_EQ(r.add(with("sum", "100000"), 0).status, fam::fragment_status::rejected);  // > max
  EXPECT_EQ(r.add(with("seq", "2"), 0).status, fam::fragment_status::rejected);
  EXPECT_EQ(r.add(with("seq", "-1"), 0).status, fam::fragment_status::rejected);
  EXPECT_EQ(r.add(with("message_id", ""), 0).status, fam::fragment_status::rejected);
  pb::frame no_sum = f;
  no_sum.headers.erase(no_sum.headers.begin() + 2);
  EXPECT_EQ(r.add(no_sum, 0).status, fam::fragment_status::rejected);
  // A later fragment that disagrees on sum.
  EXPECT_EQ(r.add(f, 0).status, fam::fragment_status::pending);
  auto other = with("sum", "3");
  for (auto& h : other.headers)
    if (h.key == "seq") h.value = "1";
  auto out = r.add(other, 0);
  EXPECT_EQ(out.status, fam::fragment_status::rejected);
  EXPECT_FALSE(out.reason.empty());
  EXPECT_EQ(r.stats().rejected, 8u);
}

TEST(Fragments, IncompleteEventExpiresAfterTheTimeoutFromItsFirstFragment) {
  fam::reassembly_limits l;
  l.timeout_ms = 10'000;
  fam::fragment_reassembler r(l);
  auto frames = split("abcdef", 3, "m");
  EXPECT_EQ(r.add(frames[0], 1'000).status, fam::fragment_status::pending);
  EXPECT_EQ(r.add(frames[1], 6'000).status, fam::fragment_status::pending);
  EXPECT_EQ(r.next_deadline(), 11'000);  // not refreshed by the second fragment
  EXPECT_EQ(r.expire(10'999), 0u);
  EXPECT_EQ(r.expire(11'000), 1u);
  EXPECT_EQ(r.pending(), 0u);
  EXPECT_EQ(r.pending_bytes(), 0u);
  EXPECT_EQ(r.stats().expired, 1u);
  EXPECT_FALSE(r.next_deadline());
  // The last fragment alone now starts a new, incomplete event.
  EXPECT_EQ(r.add(frames[2], 11'001).status, fam::fragment_status::pending);
  // add() expires first: a fragment arriving after the deadline does not complete a stale event.
  EXPECT_EQ(r.add(frames[0], 30'000).status, fam::fragment_status::pending);
  EXPECT_EQ(r.pending(), 1u);
}

TEST(Fragments, PendingEventsAreBoundedByCount) {
  fam::reassembly_limits l;
  l.max_pending = 3;
  fam::fragment_reassembler r(l);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(r.add(split("xxyy", 2, "m" + std::to_string(i))[0], i).status,
              fam::fragment_status::pending);
  EXPECT_EQ(r.pending(), 3u);
  EXPECT_EQ(r.stats().evicted, 7u);
  // The newest survive: m9 completes, m0 does not.
  EXPECT_EQ(r.add(split("xxyy", 2, "m9")[1], 10).status, fam::fragment_status::complete);
  EXPECT_EQ(r.add(split("xxyy", 2, "m0")[1], 10).status, fam::fragment_status::pending);
}

TEST(Fragments, BufferedBytesAreBounded) {
  fam::reassembly_limits l;
  l.max_total_bytes = 100;
  l.max_message_bytes = 60;
  fam::fragment_reassembler r(l);
  const std::string forty(40, 'a');
  EXPECT_EQ(r.add(split(forty + forty, 2, "a")[0], 0).status, fam::fragment_status::pending);
  EXPECT_EQ(r.add(split(forty + forty, 2, "b")[0], 0).status, fam::fragment_status::pending);
  EXPECT_EQ(r.pending_bytes(), 80u);
  // A third needs room: the oldest ("a") goes.
  EXPECT_EQ(r.add(split(forty + forty, 2, "c")[0], 0).status, fam::fragment_status::pending);
  EXPECT_LE(r.pending_bytes(), 100u);
  EXPECT_EQ(r.pending(), 2u);
  // One event over max_message_bytes is refused and forgotten.
  auto big = split(forty + forty, 2, "b")[1];
  EXPECT_EQ(r.add(big, 0).status, fam::fragment_status::rejected);
  EXPECT_EQ(r.pending(), 1u);
  EXPECT_LE(r.pending_bytes(), 100u);
  fam::fragment_reassembler tiny(fam::reassembly_limits{10'000, 64, 1000, 10, 1024});
  EXPECT_EQ(tiny.add(split(std::string(11, 'z'), 1, "s")[0], 0).status,
            fam::fragment_status::rejected);
}
