// The fallback dedup key: which fields make a message "the same", when there is no key, and the
// store recording it on both engines (duplicate within the TTL, kept apart from event ids, across
// reopen).
#include <gtest/gtest.h>

#include <future>

#include "state/inbound_fingerprint.hpp"
#include "state/store.hpp"
#include "store_engines.hpp"

namespace {
using namespace patchbay;
using state::inbound_fingerprint;
using state::inbound_outcome;

messages::inbound_message base() {
  messages::inbound_message m;
  m.event_id = "ev1";
  m.message_id = "om1";
  m.conversation_id = "oc_1";
  m.sender_id = "ou_1";
  m.text = "hello there";
  m.sent_at_unix_ms = 1'700'000'000'123;
  return m;
}

TEST(InboundFingerprint, NewIdsKeepItOtherContentChangesIt) {
  const auto fp = inbound_fingerprint(base());
  ASSERT_TRUE(fp);
  auto repush = base();
  repush.event_id = "ev2";
  repush.message_id = "om2";
  repush.raw_json = "{\"different\":true}";
  EXPECT_EQ(inbound_fingerprint(repush), fp);
  auto changed = [&](auto edit) {
    auto m = base();
    edit(m);
    return inbound_fingerprint(m) != fp;
  };
  EXPECT_TRUE(changed([](auto& m) { m.text = "hello there!"; }));
  EXPECT_TRUE(changed([](auto& m) { m.sender_id = "ou_2"; }));
  EXPECT_TRUE(changed([](auto& m) { m.conversation_id = "oc_2"; }));
  EXPECT_TRUE(changed([](auto& m) { m.sent_at_unix_ms += 1; }));  // the same words sent again
  EXPECT_TRUE(changed([](auto& m) { m.attachments.push_back({"image", "img_1"}); }));
  // Field boundaries matter: "a" + "bc" is not "ab" + "c".
  auto a = base(), b = base();
  a.conversation_id = "a";
  a.sender_id = "bc";
  b.conversation_id = "ab";
  b.sender_id = "c";
  EXPECT_NE(inbound_fingerprint(a), inbound_fingerprint(b));
}

TEST(InboundFingerprint, NoKeyWithoutCreateTimeOrContent) {
  auto m = base();
  m.sent_at_unix_ms = 0;
  EXPECT_FALSE(inbound_fingerprint(m));
  m = base();
  m.text.clear();
  EXPECT_FALSE(inbound_fingerprint(m));
  m.attachments.push_back({"file", "file_1"});
  EXPECT_TRUE(inbound_fingerprint(m));
}

inbound_outcome record(state::store& s, const std::string& instance, const std::string& fp,
                       bool as_event = false) {
  std::promise<inbound_outcome> p;
  auto done = [&](inbound_outcome o, const std::string&) { p.set_value(o); };
  if (as_event)
    s.record_inbound(instance, fp, "{}", done);
  else
    s.record_fingerprint(instance, fp, done);
  return p.get_future().get();
}

using FingerprintStoreTest = state::testing_engines::EngineTest;

TEST_P(FingerprintStoreTest, DuplicateWithinTheTtlAndAcrossReopen) {
  int64_t now = 1'000'000;
  state::store_options opt;
  opt.dedup_ttl = std::chrono::seconds(600);
  opt.clock = [&now] { return now; };
  {
    auto s = env().open(opt);
    EXPECT_EQ(record(*s, "fs", "abc"), inbound_outcome::accepted);
    EXPECT_EQ(record(*s, "fs", "abc"), inbound_outcome::duplicate);
    EXPECT_EQ(record(*s, "wx", "abc"), inbound_outcome::accepted);  // per instance
    // An event id equal to the fingerprint text is another key.
    EXPECT_EQ(record(*s, "fs", "abc", true), inbound_outcome::accepted);
    s->close();
  }
  {
    auto s = env().open(opt);
    EXPECT_EQ(record(*s, "fs", "abc"), inbound_outcome::duplicate);  // durable
    now += 601;  // past the TTL: recorded afresh
    EXPECT_EQ(record(*s, "fs", "abc"), inbound_outcome::accepted);
    s->close();
  }
}

PB_STORE_ENGINES(FingerprintStoreTest);

}  // namespace
