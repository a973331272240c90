// `patchbay status` rendering as a pure function: columns, ages, next try, notes for the reason
// and the agent problem, and answers of an older host without the evidence fields.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "cli/status_table.hpp"

namespace {
using patchbay::cli::compact_duration;
using patchbay::cli::render_status_table;

constexpr int64_t now = 1'700'000'000'000;

std::string render(const std::string& body) {
  return render_status_table(boost::json::parse(body), now);
}

TEST(StatusTable, OneAlignedRowPerChannelWithAgesAndNextTry) {
  const std::string body =
      R"({"channels":[
    {"id":"feishu-main","plugin":"feishu","state":"connected","reason":"",
     "since_unix_ms":)" +
      std::to_string(now - 7'380'000) + R"(,"last_inbound_unix_ms":)" +
      std::to_string(now - 5'000) +
      R"(,"attempt":0,"next_attempt_unix_ms":0,"last_error":null},
    {"id":"wx","plugin":"weixin","state":"reconnecting","reason":"getupdates failed: connect refused",
     "since_unix_ms":)" +
      std::to_string(now - 40'000) +
      R"(,"last_inbound_unix_ms":0,"attempt":3,"next_attempt_unix_ms":)" +
      std::to_string(now + 3'200) +
      R"(,"last_error":{"text":"getupdates failed: connect refused","unix_ms":)" +
      std::to_string(now - 2'000) + R"(},
     "agent_problem":"process agent crashed 5 times in 60 s"}]})";
  const std::string out = render(body);
  const std::string expected =
      "CHANNEL      PLUGIN  STATE         FOR    LAST INBOUND  NEXT TRY    LAST ERROR\n"
      "feishu-main  feishu  connected     2h03m  5s ago        -           -\n"
      "wx           weixin  reconnecting  40s    -             in 3s (#3)  getupdates failed: "
      "connect refused (2s ago)\n"
      "    agent problem: process agent crashed 5 times in 60 s\n";
  EXPECT_EQ(out, expected) << out;
}

TEST(StatusTable, ReasonShownWhenTheLastErrorDoesNotSayIt) {
  const std::string body = R"x({"channels":[{"id":"fs","plugin":"feishu","state":"degraded",
    "reason":"no sign of life for 95 s (the plugin expects one within 90 s)",
    "since_unix_ms":)x" + std::to_string(now - 5'000) +
                           R"(,"last_error":{"text":"connection lost: eof","unix_ms":)" +
                           std::to_string(now - 3'600'000 * 26) + R"(}}]})";
  const std::string out = render(body);
  EXPECT_NE(out.find("connection lost: eof (1d02h ago)"), std::string::npos) << out;
  EXPECT_NE(out.find("\n    reason: no sign of life for 95 s"), std::string::npos) << out;
}

TEST(StatusTable, AnOlderHostsAnswerStillRenders) {
  // Before the evidence fields: no last_inbound, last_error, next try unless reconnecting.
  const std::string out =
      render(R"({"channels":[{"id":"a","plugin":"zoo","state":"failed","reason":"start failed",)"
             R"("since_unix_ms":0}]})");
  EXPECT_NE(out.find("a        zoo     failed  -    -             -         -"), std::string::npos)
      << out;
  EXPECT_NE(out.find("    reason: start failed"), std::string::npos);
  EXPECT_THROW(render(R"({"nope":1})"), std::exception);
}

TEST(StatusTable, LongErrorsAreClippedOnACharacterBoundary) {
  std::string text(78, 'x');
  text += "\xE4\xBD\xA0\xE4\xBD\xA0";  // two 3-byte characters crossing the 80-byte cut
  const std::string out = render(
      R"({"channels":[{"id":"a","plugin":"p","state":"connected","reason":"","since_unix_ms":)" +
      std::to_string(now) + R"(,"last_error":{"text":")" + text + R"(","unix_ms":)" +
      std::to_string(now) + "}}]}");
  EXPECT_NE(out.find(std::string(78, 'x') + "... (0s ago)"), std::string::npos) << out;
}

TEST(StatusTable, CompactDurations) {
  EXPECT_EQ(compact_duration(-1), "0s");
  EXPECT_EQ(compact_duration(59'999), "59s");
  EXPECT_EQ(compact_duration(60'000), "1m00s");
  EXPECT_EQ(compact_duration(3'599'000), "59m59s");
  EXPECT_EQ(compact_duration(3'600'000), "1h00m");
  EXPECT_EQ(compact_duration(int64_t{86'400'000} * 3 + 3'600'000 * 5), "3d05h");
}

}  // namespace
