// The body a callback agent posts (agents/callback_body.hpp): one object, an array, NDJSON; each
// payload checked like an agent's, its `turn` filled in or matched against the URL's; nothing
// after a terminal; a bad payload anywhere rejects the whole body.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "agents/callback_body.hpp"

namespace {
using patchbay::agents::read_callback_body;
namespace json = boost::json;

std::string turn_of(const std::string& payload) {
  return std::string(json::parse(payload).at("turn").as_string());
}

TEST(CallbackBody, OneObjectGetsTheTurnOfTheUrl) {
  auto b = read_callback_body("t-1", R"({"delta":"hi"})");
  ASSERT_EQ(b.error, "");
  ASSERT_EQ(b.payloads.size(), 1U);
  EXPECT_EQ(turn_of(b.payloads[0]), "t-1");
  EXPECT_FALSE(b.terminal);
  // Pretty-printed over several lines is still one object.
  b = read_callback_body("t-1", "{\n  \"content\": \"x\",\n  \"done\": true\n}\n");
  ASSERT_EQ(b.error, "");
  EXPECT_EQ(b.payloads.size(), 1U);
  EXPECT_TRUE(b.terminal);
}

TEST(CallbackBody, AnArrayAndNdjsonKeepTheirOrder) {
  auto a = read_callback_body("t", R"([{"delta":"a"},{"turn":"t","delta":"b"},{"done":true}])");
  ASSERT_EQ(a.error, "");
  ASSERT_EQ(a.payloads.size(), 3U);
  EXPECT_NE(a.payloads[1].find("\"b\""), std::string::npos);
  EXPECT_TRUE(a.terminal);
  auto n =
      read_callback_body("t", "{\"delta\":\"a\"}\r\n\n  \n{\"delta\":\"b\"}\n{\"error\":\"no\"}");
  ASSERT_EQ(n.error, "");
  ASSERT_EQ(n.payloads.size(), 3U);  // blank lines skipped, last line without "\n" taken
  EXPECT_TRUE(n.terminal);
}

TEST(CallbackBody, BadBodiesSayWhyAndDeliverNothing) {
  struct bad_case {
    std::string body, why;
  };
  for (const auto& c : std::vector<bad_case>{
           {"", "no payload"},
           {"\n\n", "no payload"},
           {"[]", "empty array"},
           {"42", "must be a JSON object"},
           {R"({"delta":)", "line 1 is not JSON"},
           {"{\"delta\":\"a\"}\n{oops}\n", "line 2 is not JSON"},
           {R"({"mood":"happy"})", "none of delta, content, attachment, error, done"},
           {R"({"turn":"other","delta":"x"})", "not the turn of this URL"},
           {R"({"turn":7,"delta":"x"})", "not the turn of this URL"},
           {R"([{"delta":"x"},"text"])", "payload 2 must be a JSON object"},
           {R"([{"done":true},{"delta":"late"}])", "follows the terminal"},
           {"{\"done\":true}\n{\"delta\":\"late\"}\n", "follows the terminal"},
           {R"({"error":"x","done":true})", "exclude each other"},
       }) {
    auto b = read_callback_body("t", c.body);
    EXPECT_TRUE(b.payloads.empty()) << c.body;
    EXPECT_NE(b.error.find(c.why), std::string::npos) << c.body << " -> " << b.error;
  }
}

}  // namespace
