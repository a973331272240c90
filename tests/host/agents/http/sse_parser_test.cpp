// agents::sse_parser (host/src/core/sse_parser.hpp): the incremental Server-Sent Events parser the
// agents and the CLI share. Pure logic: events split at any byte boundary must come out the same.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "agents/sse_parser.hpp"

namespace {

using patchbay::agents::sse_parser;
using events = std::vector<std::pair<std::string, std::string>>;

events parse_all(const std::string& input, std::size_t piece = 0, std::size_t cap = 4 << 20) {
  events out;
  sse_parser p(
      [&](const std::string& n, const std::string& d) {
        out.emplace_back(n, d);
        return true;
      },
      cap);
  if (piece == 0) {
    p.feed(input);
  } else {
    for (std::size_t i = 0; i < input.size(); i += piece) p.feed(input.substr(i, piece));
  }
  return out;
}

TEST(SseParser, DataLinesDispatchOnBlankLine) {
  auto ev = parse_all("data: hello\n\ndata: second\n\n");
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0], (std::pair<std::string, std::string>{"message", "hello"}));
  EXPECT_EQ(ev[1].second, "second");
}

TEST(SseParser, EventNameMultiLineDataAndComments) {
  auto ev = parse_all(": keep-alive\nevent: output\ndata: a\ndata: b\n\n: another\n\n");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].first, "output");
  EXPECT_EQ(ev[0].second, "a\nb");
}

TEST(SseParser, NameResetsBetweenEvents) {
  auto ev = parse_all("event: error\ndata: x\n\ndata: y\n\n");
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].first, "error");
  EXPECT_EQ(ev[1].first, "message");
}

TEST(SseParser, CrLfAndNoSpaceAfterColon) {
  auto ev = parse_all("data:{\"a\":1}\r\n\r\nevent:x\r\ndata:  two spaces\r\n\r\n");
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].second, "{\"a\":1}");
  EXPECT_EQ(ev[1].first, "x");
  EXPECT_EQ(ev[1].second, " two spaces");  // only one leading space is removed
}

TEST(SseParser, EventWithoutDataIsNotDispatched) {
  auto ev = parse_all("event: ping\n\nid: 7\nretry: 100\n\n");
  EXPECT_TRUE(ev.empty());
}

TEST(SseParser, EmptyDataLineIsAnEmptyEvent) {
  auto ev = parse_all("data\n\n");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].second, "");
}

TEST(SseParser, SplitAtEveryByteBoundaryGivesTheSameEvents) {
  const std::string input =
      "event: output\r\ndata: {\"text\":\"h\xC3\xA9llo\"}\r\n\r\n: c\ndata: [DONE]\n\n";
  const auto whole = parse_all(input);
  ASSERT_EQ(whole.size(), 2u);
  for (std::size_t piece = 1; piece <= input.size(); ++piece)
    EXPECT_EQ(parse_all(input, piece), whole) << "piece size " << piece;
}

TEST(SseParser, IncompleteEventIsHeldUntilItsBlankLine) {
  events out;
  sse_parser p([&](const std::string& n, const std::string& d) {
    out.emplace_back(n, d);
    return true;
  });
  EXPECT_TRUE(p.feed("data: part"));
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(p.feed("ial\n"));
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(p.feed("\n"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].second, "partial");
}

TEST(SseParser, CallbackReturningFalseStopsParsing) {
  int calls = 0;
  sse_parser p([&](const std::string&, const std::string&) {
    ++calls;
    return false;
  });
  EXPECT_FALSE(p.feed("data: 1\n\ndata: 2\n\n"));
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(p.feed("data: 3\n\n"));  // stays stopped
  EXPECT_EQ(calls, 1);
}

TEST(SseParser, OversizedEventOrLineStopsParsing) {
  int calls = 0;
  auto count = [&](const std::string&, const std::string&) {
    ++calls;
    return true;
  };
  sse_parser by_data(count, 16);
  EXPECT_FALSE(by_data.feed("data: 0123456789\ndata: 0123456789\n\n"));
  EXPECT_EQ(calls, 0);
  sse_parser by_line(count, 16);
  EXPECT_FALSE(by_line.feed("data: " + std::string(64, 'x')));  // no newline yet, already too big
  sse_parser fits(count, 16);
  EXPECT_TRUE(fits.feed("data: 0123456789\n\n"));
  EXPECT_EQ(calls, 1);
}

}  // namespace
