// The helpers the HTTP-based agents share (agents/stream_lines.hpp, agents/agent_options.hpp):
// pure logic, no sockets.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agents/agent_options.hpp"
#include "agents/stream_lines.hpp"

namespace {
using namespace patchbay::agents;
using namespace std::chrono_literals;

std::vector<std::string> split(line_splitter& s, const std::vector<std::string>& pieces,
                               bool* ok = nullptr) {
  std::vector<std::string> lines;
  bool all = true;
  for (const auto& p : pieces)
    all = s.feed(p, [&](std::string_view l) {
      lines.emplace_back(l);
      return true;
    }) && all;
  if (ok) *ok = all;
  return lines;
}

TEST(LineSplitter, LinesAcrossChunksLfAndCrLf) {
  line_splitter s(100);
  auto lines = split(s, {"one\ntw", "o\r", "\nthr", "ee"});
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(s.rest(), "three");
}

TEST(LineSplitter, EveryByteBoundary) {
  const std::string input = "{\"a\":1}\r\n\n{\"b\":2}\nlast";
  for (std::size_t piece = 1; piece <= input.size(); ++piece) {
    line_splitter s(100);
    std::vector<std::string> pieces;
    for (std::size_t i = 0; i < input.size(); i += piece) pieces.push_back(input.substr(i, piece));
    EXPECT_EQ(split(s, pieces), (std::vector<std::string>{"{\"a\":1}", "", "{\"b\":2}"}));
    EXPECT_EQ(s.rest(), "last");
  }
}

TEST(LineSplitter, LineAtTheBoundFitsOneMoreOverflows) {
  line_splitter fits(5);
  bool ok = false;
  EXPECT_EQ(split(fits, {"12345\r", "\n"}, &ok), (std::vector<std::string>{"12345"}));
  EXPECT_TRUE(ok);

  line_splitter complete_too_long(5);
  split(complete_too_long, {"123456\n"}, &ok);
  EXPECT_FALSE(ok);
  EXPECT_TRUE(complete_too_long.overflowed());

  line_splitter growing(5);  // no terminator yet: detected without waiting for one
  split(growing, {"1234", "567"}, &ok);
  EXPECT_FALSE(ok);
  EXPECT_TRUE(growing.overflowed());
  EXPECT_FALSE(growing.feed("\n", [](std::string_view) { return true; }));  // stays stopped
}

TEST(LineSplitter, CallbackStops) {
  line_splitter s(100);
  int n = 0;
  EXPECT_FALSE(s.feed("a\nb\nc\n", [&](std::string_view) { return ++n < 2; }));
  EXPECT_EQ(n, 2);
  EXPECT_TRUE(s.stopped());
  EXPECT_FALSE(s.overflowed());
}

TEST(BodyPrefix, KeepsTheFirstBytesAndCountsAll) {
  body_prefix p(4);
  p.add("ab");
  p.add("cdef");
  p.add("gh");
  EXPECT_EQ(p.text(), "abcd");
  EXPECT_EQ(p.total(), 8u);
  EXPECT_FALSE(p.complete());
  body_prefix q(10);
  q.add("xyz");
  EXPECT_TRUE(q.complete());
}

TEST(Redact, SecretsAndBearerTokens) {
  EXPECT_EQ(redact("key=s3cr3t! and s3cr3t!", {"s3cr3t!", ""}), "key=[redacted] and [redacted]");
  EXPECT_EQ(redact(R"({"auth":"Bearer abc.def-123","x":1})", {}),
            R"({"auth":"Bearer [redacted]","x":1})");
  EXPECT_EQ(redact("Authorization: Basic dXNlcjpwYXNz\nok", {}),
            "Authorization: Basic [redacted]\nok");
  EXPECT_EQ(redact("plain text", {"absent"}), "plain text");
}

TEST(Excerpt, OneLineBoundedRedactedUtf8Safe) {
  EXPECT_EQ(excerpt("", {}), "");
  EXPECT_EQ(excerpt("  Service\r\n\tUnavailable \n", {}), "Service Unavailable");
  EXPECT_EQ(excerpt("token tok-123 leaked", {"tok-123"}), "token [redacted] leaked");
  const std::string long_body(500, 'x');
  const std::string ex = excerpt(long_body, {}, 200);
  EXPECT_EQ(ex, std::string(200, 'x') + "...");
  // Code points, not bytes: 300 two-byte characters cut at 200 characters, never mid-sequence.
  std::string accents;
  for (int i = 0; i < 300; ++i) accents += "\xC3\xA9";
  EXPECT_EQ(excerpt(accents, {}, 200), [&] {
    std::string s;
    for (int i = 0; i < 200; ++i) s += "\xC3\xA9";
    return s + "...";
  }());
  EXPECT_EQ(excerpt("bad \xFF\xFE byte", {}), "bad ?? byte");
  // A secret straddling the cut is removed before cutting, so no prefix of it survives.
  const std::string secret = "SECRETSECRETSECRET";
  const std::string ex2 = excerpt(std::string(190, 'a') + secret, {secret}, 200);
  EXPECT_EQ(ex2.find("SECRET"), std::string::npos) << ex2;
}

TEST(ClassifyTransport, KitErrorTexts) {
  EXPECT_EQ(classify_transport(""), transport_failure::none);
  EXPECT_EQ(classify_transport("aborted"), transport_failure::aborted);
  EXPECT_EQ(classify_transport("cancelled"), transport_failure::aborted);
  EXPECT_EQ(classify_transport("connect timeout"), transport_failure::connect_timeout);
  EXPECT_EQ(classify_transport("tls: handshake timeout"), transport_failure::connect_timeout);
  EXPECT_EQ(classify_transport("connection refused"), transport_failure::refused);
  EXPECT_EQ(classify_transport("resolve failed: Host not found"), transport_failure::unreachable);
  EXPECT_EQ(classify_transport("connect failed: Network unreachable"),
            transport_failure::unreachable);
  EXPECT_EQ(classify_transport("tls: certificate verify failed"), transport_failure::tls);
  EXPECT_EQ(classify_transport("first byte timeout"), transport_failure::first_byte_timeout);
  EXPECT_EQ(classify_transport("idle timeout"), transport_failure::idle_timeout);
  EXPECT_EQ(classify_transport("total timeout"), transport_failure::total_timeout);
  EXPECT_EQ(classify_transport("connection closed mid-body"), transport_failure::closed_early);
  EXPECT_EQ(classify_transport("read failed: Connection reset by peer"),
            transport_failure::closed_early);
  EXPECT_EQ(classify_transport("bad url: missing scheme"), transport_failure::other);
}

TEST(OptionReader, ReadsTypesAndRanges) {
  option_reader r(R"({"url":"https://a.example/x","n":5,"ms":250,"t":0.5,"tok":12345,
                      "headers":{"X-Key":"v1","X-Num":7}})",
                  "test agent");
  std::string url, tok;
  std::int64_t n = 0;
  std::chrono::milliseconds ms{1};
  std::optional<double> t;
  std::vector<std::pair<std::string, std::string>> headers;
  r.url("url", url, true);
  r.integer("n", n, 1, 10);
  r.millis("ms", ms, 1, 1000);
  r.number("t", t, 0, 2);
  r.text("tok", tok);
  r.header_map("headers", headers);
  EXPECT_EQ(r.finish(), "");
  EXPECT_EQ(url, "https://a.example/x");
  EXPECT_EQ(n, 5);
  EXPECT_EQ(ms, 250ms);
  EXPECT_EQ(t, 0.5);
  EXPECT_EQ(tok, "12345");  // ${TOKEN} that is all digits arrives as a number
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers[1], (std::pair<std::string, std::string>{"X-Num", "7"}));
}

TEST(OptionReader, ErrorsNameTheOptionNeverTheValue) {
  option_reader r(R"({"url":"ftp://secret-host","n":50,"headers":{"Bad Name":"v",
                      "X-Ok":"line1\nsecret-line2"},"extra":"hidden-value","ca_file":"/nonexistent/x"})",
                  "test agent");
  std::string url, ca, missing;
  std::int64_t n = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  r.url("url", url, true);
  r.integer("n", n, 1, 10);
  r.header_map("headers", headers);
  r.file("ca_file", ca);
  r.text("model", missing, true);
  const std::string err = r.finish();
  EXPECT_NE(err.find("test agent: option 'url' must be an http:// or https:// URL"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("option 'n' must be an integer from 1 to 10"), std::string::npos) << err;
  EXPECT_NE(err.find("invalid header name"), std::string::npos) << err;
  EXPECT_NE(err.find("option 'headers.X-Ok' must be one line"), std::string::npos) << err;
  EXPECT_NE(err.find("option 'ca_file' names a file that cannot be read"), std::string::npos);
  EXPECT_NE(err.find("option 'model' is required"), std::string::npos) << err;
  EXPECT_NE(err.find("unknown option 'extra'"), std::string::npos) << err;
  for (const char* v : {"secret-host", "secret-line2", "hidden-value", "nonexistent", "50"})
    EXPECT_EQ(err.find(v), std::string::npos) << v << " leaked into: " << err;
  EXPECT_TRUE(url.empty());
}

TEST(OptionReader, NotAnObject) {
  option_reader r("[1,2]", "x agent");
  EXPECT_EQ(r.finish(), "x agent: options must be a map");
  option_reader empty("", "x agent");
  EXPECT_EQ(empty.finish(), "");
}

TEST(Deadlines, DefaultsOverridesAndDescriptions) {
  option_reader r(R"({"idle_timeout_ms":1500,"total_timeout_ms":0})", "x agent");
  http_deadlines d;
  read_deadlines(r, d);
  EXPECT_NE(r.finish().find("total_timeout_ms"), std::string::npos);
  EXPECT_EQ(d.idle, 1500ms);
  EXPECT_EQ(d.connect, 10'000ms);
  EXPECT_EQ(describe_duration(250ms), "250 ms");
  EXPECT_EQ(describe_duration(1500ms), "1.5 s");
  EXPECT_EQ(describe_duration(60'000ms), "60 s");
}

}  // namespace
