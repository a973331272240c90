// The `http` agent's answer decoder (agents/http_agent_decoder.hpp): NDJSON or SSE sniffed from
// the first line, payloads validated with their turn forced, decoding stopped at the terminal or
// at the first bad line. Pure logic; every byte boundary is tried.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>
#include <vector>

#include "agents/http_agent_decoder.hpp"

namespace {
using patchbay::agents::answer_decoder;

struct run {
  std::vector<std::string> payloads;
  bool stopped = false;  // feed returned false
  std::string problem;
  bool terminal = false;
  answer_decoder::framing kind = answer_decoder::framing::unknown;
};

run decode(const std::string& body, std::size_t piece = 0, bool end = true) {
  run r;
  answer_decoder d("T-1", [&](std::string p) { r.payloads.push_back(std::move(p)); });
  if (piece == 0) piece = body.size() ? body.size() : 1;
  for (std::size_t i = 0; i < body.size() && !r.stopped; i += piece)
    r.stopped = !d.feed(std::string_view(body).substr(i, piece));
  if (end && !r.stopped) d.end();
  r.problem = d.problem();
  r.terminal = d.terminal_sent();
  r.kind = d.kind();
  return r;
}

std::string field(const std::string& payload, const char* key) {
  auto v = boost::json::parse(payload);
  auto* f = v.as_object().if_contains(key);
  if (!f) return "<absent>";
  return f->is_string() ? std::string(f->get_string()) : boost::json::serialize(*f);
}

TEST(AnswerDecoder, NdjsonStreamWithTurnForced) {
  const std::string body =
      "{\"delta\":\"Hel\"}\n{\"turn\":\"other\",\"delta\":\"lo\"}\r\n\n{\"done\":true}\n";
  for (std::size_t piece = 1; piece <= body.size(); ++piece) {
    auto r = decode(body, piece);
    ASSERT_EQ(r.payloads.size(), 3u) << piece;
    EXPECT_EQ(r.kind, answer_decoder::framing::ndjson);
    for (const auto& p : r.payloads) EXPECT_EQ(field(p, "turn"), "T-1");
    EXPECT_EQ(field(r.payloads[0], "delta"), "Hel");
    EXPECT_EQ(field(r.payloads[1], "delta"), "lo");
    EXPECT_EQ(field(r.payloads[2], "done"), "true");
    EXPECT_TRUE(r.terminal);
    EXPECT_TRUE(r.stopped);  // it stops reading at the terminal
    EXPECT_EQ(r.problem, "");
  }
}

TEST(AnswerDecoder, SseStreamIgnoresCommentsNamesAndDoneMarker) {
  const std::string body =
      ": hello\n\nevent: thread_response\ndata: {\"delta\":\"a\"}\n\n"
      "data: {\"content\":\"notice\",\"ephemeral\":true}\r\n\r\n"
      "data: [DONE]\n\ndata: {\"error\":\"it broke\"}\n\n";
  for (std::size_t piece = 1; piece <= body.size(); ++piece) {
    auto r = decode(body, piece);
    ASSERT_EQ(r.payloads.size(), 3u) << piece;
    EXPECT_EQ(r.kind, answer_decoder::framing::sse);
    EXPECT_EQ(field(r.payloads[0], "delta"), "a");
    EXPECT_EQ(field(r.payloads[1], "content"), "notice");
    EXPECT_EQ(field(r.payloads[2], "error"), "it broke");
    EXPECT_TRUE(r.terminal);
  }
}

TEST(AnswerDecoder, LastLineWithoutNewlineCountsAtTheEnd) {
  auto nd = decode("{\"delta\":\"x\"}\n{\"done\":true}");
  EXPECT_EQ(nd.payloads.size(), 2u);
  EXPECT_TRUE(nd.terminal);
  auto sse = decode("data: {\"done\":true}");
  EXPECT_EQ(sse.payloads.size(), 1u);
  EXPECT_TRUE(sse.terminal);
  auto cut = decode("{\"delta\":\"x\"}\n{\"done\":tr", 0, /*end=*/false);
  EXPECT_FALSE(cut.terminal);  // an unfinished body is not ended by the caller
}

TEST(AnswerDecoder, NoTerminal) {
  auto r = decode("{\"delta\":\"a\"}\n{\"delta\":\"b\"}\n");
  EXPECT_EQ(r.payloads.size(), 2u);
  EXPECT_FALSE(r.terminal);
  EXPECT_EQ(r.problem, "");
  auto empty = decode("");
  EXPECT_TRUE(empty.payloads.empty());
  EXPECT_FALSE(empty.terminal);
  EXPECT_EQ(empty.problem, "");
}

TEST(AnswerDecoder, NotAnAnswerStopsWithAProblem) {
  auto html = decode("<html><body>502 Bad Gateway</body></html>\n");
  EXPECT_TRUE(html.stopped);
  EXPECT_TRUE(html.payloads.empty());
  EXPECT_EQ(html.problem, "the answer is neither NDJSON nor SSE");
  auto text = decode("Service Unavailable");  // no newline at all: decided at the end
  EXPECT_EQ(text.problem, "the answer is neither NDJSON nor SSE");
}

TEST(AnswerDecoder, InvalidPayloadsStopWithAProblem) {
  auto bad_json = decode("{\"delta\":\"a\"}\n{not json}\n{\"done\":true}\n");
  EXPECT_EQ(bad_json.payloads.size(), 1u);
  EXPECT_NE(bad_json.problem.find("not valid JSON"), std::string::npos) << bad_json.problem;
  EXPECT_FALSE(bad_json.terminal);
  auto not_object = decode("data: [1,2]\n\n");
  EXPECT_EQ(not_object.problem, "a line is not a JSON object");
  auto empty_payload = decode("{\"foo\":1}\n");
  EXPECT_NE(empty_payload.problem.find("none of delta, content, attachment, error, done"),
            std::string::npos)
      << empty_payload.problem;
  auto both = decode("{\"error\":\"x\",\"done\":true}\n");
  EXPECT_NE(both.problem.find("exclude each other"), std::string::npos);
}

TEST(AnswerDecoder, OversizedLineStops) {
  std::string big = "{\"delta\":\"" + std::string((1 << 20) + 10, 'x') + "\"}\n";
  auto r = decode(big, 64 << 10);
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.problem, "a line longer than 1 MiB");
  EXPECT_TRUE(r.payloads.empty());
}

TEST(AnswerDecoder, LeadingBlankLinesAndBom) {
  auto r = decode("\n\r\n\xEF\xBB\xBF{\"delta\":\"a\",\"done\":true}\n");
  ASSERT_EQ(r.payloads.size(), 1u);
  EXPECT_TRUE(r.terminal);
}

}  // namespace
