// The pairing book: codes, expiry, bounds, approval and revocation, kept in a key-value store.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "access/pairing_book.hpp"

namespace {
using patchbay::access::issue_outcome;
using patchbay::access::pairing_book;

struct fake_kv {
  std::map<std::string, std::string> data;
  patchbay::access::kv_port port() {
    return {[this](const std::string& i, const std::string& k) -> std::optional<std::string> {
              auto it = data.find(i + "/" + k);
              if (it == data.end()) return std::nullopt;
              return it->second;
            },
            [this](const std::string& i, const std::string& k, std::string v) {
              data[i + "/" + k] = std::move(v);
            }};
  }
};

struct book_fixture : ::testing::Test {
  fake_kv kv;
  int64_t now = 1'000'000;
  int next_code = 0;
  pairing_book make() {
    return pairing_book(
        kv.port(), [this] { return now; }, [this] { return "CODE" + std::to_string(++next_code); });
  }
};

TEST(PairingCode, EightUnambiguousCharacters) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto c = pairing_book::random_code();
    ASSERT_EQ(c.size(), 8U);
    EXPECT_EQ(c.find_first_not_of(pairing_book::alphabet), std::string::npos) << c;
    EXPECT_EQ(c.find_first_of("01OIL"), std::string::npos) << c;
    seen.insert(c);
  }
  EXPECT_GT(seen.size(), 190U);  // random, not a counter (collisions are ~impossible)
}

TEST_F(book_fixture, OneCodePerSenderResentAtMostOncePerInterval) {
  auto book = make();
  patchbay::config::pairing_config cfg;
  auto [o1, c1] = book.issue("ch", "u1", cfg);
  EXPECT_EQ(o1, issue_outcome::fresh);
  EXPECT_EQ(c1, "CODE1");
  EXPECT_EQ(book.issue("ch", "u1", cfg).first, issue_outcome::suppressed);
  now += pairing_book::resend_interval_s;
  auto [o2, c2] = book.issue("ch", "u1", cfg);
  EXPECT_EQ(o2, issue_outcome::resend);
  EXPECT_EQ(c2, "CODE1");
}

TEST_F(book_fixture, CodesExpireAndPendingIsBounded) {
  auto book = make();
  patchbay::config::pairing_config cfg;
  cfg.code_ttl = std::chrono::seconds(100);
  cfg.max_pending = 2;
  EXPECT_EQ(book.issue("ch", "u1", cfg).first, issue_outcome::fresh);
  EXPECT_EQ(book.issue("ch", "u2", cfg).first, issue_outcome::fresh);
  EXPECT_EQ(book.issue("ch", "u3", cfg).first, issue_outcome::full);
  EXPECT_EQ(book.issue("other", "u3", cfg).first, issue_outcome::fresh);  // per channel
  EXPECT_EQ(book.list().pending.size(), 3U);
  now += 100;  // expired
  EXPECT_TRUE(book.list().pending.empty());
  EXPECT_FALSE(book.approve("CODE1"));
  auto [o, c] = book.issue("ch", "u1", cfg);
  EXPECT_EQ(o, issue_outcome::fresh);
  EXPECT_EQ(c, "CODE4");  // a new code, not the expired one
}

TEST_F(book_fixture, ApproveRevokeAndSurviveARestart) {
  patchbay::config::pairing_config cfg;
  {
    auto book = make();
    book.issue("ch", "u1", cfg);
    EXPECT_FALSE(book.is_approved("ch", "u1"));
    auto a = book.approve("code1");  // case-insensitive
    ASSERT_TRUE(a);
    EXPECT_EQ(a->channel, "ch");
    EXPECT_EQ(a->sender, "u1");
    EXPECT_TRUE(book.is_approved("ch", "u1"));
    EXPECT_FALSE(book.is_approved("other", "u1"));
    EXPECT_FALSE(book.approve("CODE1"));  // one-time
    book.issue("ch", "u2", cfg);
  }
  auto book = make();  // a restart: read back from the store
  EXPECT_FALSE(book.is_approved("ch", "u1"));
  book.load("ch");
  EXPECT_TRUE(book.is_approved("ch", "u1"));
  ASSERT_EQ(book.list().pending.size(), 1U);
  EXPECT_TRUE(book.approve("CODE2"));  // a pending code survives too
  EXPECT_TRUE(book.revoke("ch", "u1"));
  EXPECT_FALSE(book.revoke("ch", "u1"));
  EXPECT_FALSE(book.is_approved("ch", "u1"));
  auto again = make();
  again.load("ch");
  EXPECT_FALSE(again.is_approved("ch", "u1"));
  EXPECT_TRUE(again.is_approved("ch", "u2"));
}

TEST_F(book_fixture, ADamagedStoredValueIsIgnored) {
  kv.data["access:ch/approved"] = "{not json";
  auto book = make();
  book.load("ch");
  EXPECT_TRUE(book.list().approved.empty());
}

}  // namespace
