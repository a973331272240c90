// The `callback` backend's options (agents.<name> in the config): required url and public_url,
// the deadlines with their ranges, unknown keys, and values (secrets) never quoted in errors; its
// turns' deadlines as the router sees them.
#include <gtest/gtest.h>

#include "agents/agent.hpp"
#include "agents/turn_callbacks.hpp"
#include "config/config.hpp"
#include "patchbay/kit/runtime.hpp"

namespace {
using namespace patchbay;
using namespace std::chrono_literals;

struct CallbackOptions : ::testing::Test {
  kit::io_runtime rt{1};
  std::unique_ptr<agents::agent> build(const std::string& options, std::string& error,
                                       bool with_callbacks = true) {
    agents::agent_env env;
    env.rt = &rt;
    env.name = "later";
    env.deliver = [](std::string) {};
    env.fail = [](std::string, std::string) {};
    if (with_callbacks) env.callbacks = agents::make_local_turn_callbacks();
    config::agent_config cfg{"later", "callback", options, {}};
    return agents::make_agent(cfg, std::move(env), error);
  }
  ~CallbackOptions() override { rt.stop(); }
};

TEST_F(CallbackOptions, DefaultsAndDeadlines) {
  std::string error;
  auto a = build(R"({"url":"http://agent:9000/turn","public_url":"http://patchbay:8080/"})", error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->deadlines().idle, 600'000ms);     // idle_timeout_ms: 10 min
  EXPECT_EQ(a->deadlines().total, 1'800'000ms);  // answer_timeout_ms: 30 min
  a = build(R"({"url":"http://a/t","public_url":"https://p","accept_timeout_ms":500,)"
            R"("idle_timeout_ms":2000,"answer_timeout_ms":9000,"headers":{"X-Key":"k"}})",
            error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->deadlines().idle, 2000ms);
  EXPECT_EQ(a->deadlines().total, 9000ms);
}

TEST_F(CallbackOptions, ErrorsNameTheOptionNeverItsValue) {
  struct bad_case {
    std::string options, why;
  };
  for (const auto& c : std::vector<bad_case>{
           {R"({"public_url":"http://p"})", "option 'url' is required"},
           {R"({"url":"http://a"})", "option 'public_url' is required"},
           {R"({"url":"http://a","public_url":"patchbay:8080"})",
            "option 'public_url' must be an http:// or https:// URL"},
           {R"({"url":"http://a","public_url":"http://p","idle_timeout_ms":0})",
            "option 'idle_timeout_ms' must be an integer from 1"},
           {R"({"url":"http://a","public_url":"http://p","answer_timeout_ms":"long"})",
            "option 'answer_timeout_ms' must be an integer"},
           {R"({"url":"http://a","public_url":"http://p","accept_timeout_ms":900000})",
            "option 'accept_timeout_ms' must be an integer from 1 to 600000"},
           {R"({"url":"http://a","public_url":"http://p","headers":{"X":"s3cr3t\nx"}})",
            "option 'headers.X' must be one line"},
           {R"({"url":"http://a","public_url":"http://p","tokn":"s3cr3t"})",
            "unknown option 'tokn'"},
       }) {
    std::string error;
    EXPECT_FALSE(build(c.options, error)) << c.options;
    EXPECT_NE(error.find("callback agent: " + c.why), std::string::npos)
        << c.options << " -> " << error;
    EXPECT_EQ(error.find("s3cr3t"), std::string::npos) << error;
  }
}

TEST_F(CallbackOptions, NeedsTheHostsResponseRoute) {
  std::string error;
  EXPECT_FALSE(build(R"({"url":"http://a","public_url":"http://p"})", error, false));
  EXPECT_NE(error.find("no response route"), std::string::npos) << error;
}

}  // namespace
