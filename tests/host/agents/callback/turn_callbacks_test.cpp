// The in-process turn_callbacks registry: a post reaches the turn's sink only with the turn's
// token; a terminal payload, end() or close() make later posts 410 / 503; unknown turns are 404;
// the memory of ended turns is bounded; tokens are 256 random bits.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <thread>

#include "agents/turn_callbacks.hpp"

namespace {
using namespace patchbay::agents;

struct TurnCallbacks : ::testing::Test {
  std::shared_ptr<turn_callbacks> reg = make_local_turn_callbacks(2);
  std::vector<std::string> got;
  const std::string tok = new_callback_token();
  void add(const std::string& turn, const std::string& token) {
    reg->add(turn, token, [this](std::string p) { got.push_back(std::move(p)); });
  }
};

TEST_F(TurnCallbacks, TokensAre256RandomBitsInHex) {
  EXPECT_TRUE(std::regex_match(tok, std::regex("[0-9a-f]{64}")));
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(new_callback_token());
  EXPECT_EQ(seen.size(), 100U);
}

TEST_F(TurnCallbacks, OnlyTheTurnsTokenDelivers) {
  add("t", tok);
  EXPECT_EQ(reg->deliver("t", "", R"({"delta":"a"})").status, callback_status::unauthorized);
  EXPECT_EQ(reg->deliver("t", tok.substr(1), R"({"delta":"a"})").status,
            callback_status::unauthorized);
  std::string other = tok;
  other[63] = other[63] == '0' ? '1' : '0';
  EXPECT_EQ(reg->deliver("t", other, R"({"delta":"a"})").status, callback_status::unauthorized);
  EXPECT_EQ(reg->deliver("nope", tok, R"({"delta":"a"})").status, callback_status::unknown_turn);
  EXPECT_TRUE(got.empty());
  auto out = reg->deliver("t", tok, R"([{"delta":"a"},{"delta":"b"}])");
  EXPECT_EQ(out.status, callback_status::accepted);
  EXPECT_EQ(out.accepted, 2U);
  ASSERT_EQ(got.size(), 2U);
  EXPECT_NE(got[0].find(R"("turn":"t")"), std::string::npos) << got[0];
}

TEST_F(TurnCallbacks, AMalformedBodyDeliversNothing) {
  add("t", tok);
  auto out = reg->deliver("t", tok, "{\"delta\":\"a\"}\n{\"mood\":1}\n");
  EXPECT_EQ(out.status, callback_status::bad_request);
  EXPECT_NE(out.reason.find("line 2"), std::string::npos) << out.reason;
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(reg->deliver("t", tok, R"({"delta":"a"})").status, callback_status::accepted);
}

TEST_F(TurnCallbacks, TheTerminalSpendsTheToken) {
  add("t", tok);
  EXPECT_EQ(reg->deliver("t", tok, R"({"content":"x","done":true})").status,
            callback_status::accepted);
  EXPECT_EQ(reg->deliver("t", tok, R"({"delta":"late"})").status, callback_status::gone);
  // A wrong token learns nothing about the ended turn.
  EXPECT_EQ(reg->deliver("t", std::string(64, 'f'), R"({"delta":"late"})").status,
            callback_status::unauthorized);
  EXPECT_EQ(got.size(), 1U);
}

TEST_F(TurnCallbacks, EndAndCloseRefuseLaterPosts) {
  add("a", tok);
  add("b", tok);
  reg->end("a");
  reg->end("a");  // idempotent
  EXPECT_EQ(reg->deliver("a", tok, R"({"delta":"x"})").status, callback_status::gone);
  reg->close();
  EXPECT_EQ(reg->deliver("b", tok, R"({"delta":"x"})").status, callback_status::unavailable);
  EXPECT_TRUE(got.empty());
}

TEST_F(TurnCallbacks, EndedTurnsAreRememberedWithinABound) {
  for (const char* t : {"a", "b", "c"}) {
    add(t, tok);
    reg->end(t);
  }
  // Memory of 2: "a" was forgotten (unknown now), "b" and "c" are still gone.
  EXPECT_EQ(reg->deliver("a", tok, R"({"delta":"x"})").status, callback_status::unknown_turn);
  EXPECT_EQ(reg->deliver("b", tok, R"({"delta":"x"})").status, callback_status::gone);
  EXPECT_EQ(reg->deliver("c", tok, R"({"delta":"x"})").status, callback_status::gone);
}

TEST_F(TurnCallbacks, ConcurrentPostsEachDeliverEverythingOnce) {
  std::atomic<int> n{0};
  reg->add("t", tok, [&](std::string) { ++n; });
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 100; ++j) reg->deliver("t", tok, R"({"delta":"x"})");
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(n.load(), 400);
}

}  // namespace
