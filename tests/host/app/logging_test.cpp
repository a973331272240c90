// The host's log lines carry the channel and turn they are about: as JSON fields in JSON mode, as
// a "[channel=… turn=…]" prefix in text mode; plain lines stay as they were.
#include "app/logging.hpp"

#include "patchbay/common/log_subject.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <boost/json.hpp>
#include <sstream>

namespace patchbay::logging {
namespace {

std::string run_logger(bool json, const std::function<void()>& body) {
  std::ostringstream out;
  options opt;
  opt.json = json;
  opt.level = "debug";
  opt.sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  init(opt);
  body();
  shutdown();  // joins the async logger thread: every line is in `out`
  return out.str();
}

TEST(LogSubject, JsonLinesCarryChannelAndTurnFields) {
  auto text = run_logger(true, [] {
    spdlog::info("{}reply sent in {} parts", common::log_tag({"weixin-main", "turn-7"}), 3);
    spdlog::info("plain line");
  });
  std::istringstream lines(text);
  std::string first, second;
  std::getline(lines, first);
  std::getline(lines, second);
  auto a = boost::json::parse(first).as_object();
  EXPECT_EQ(a.at("channel").as_string(), "weixin-main");
  EXPECT_EQ(a.at("turn").as_string(), "turn-7");
  EXPECT_EQ(a.at("msg").as_string(), "reply sent in 3 parts");
  auto b = boost::json::parse(second).as_object();
  EXPECT_FALSE(b.contains("channel"));
  EXPECT_EQ(b.at("msg").as_string(), "plain line");
}

TEST(LogSubject, TextLinesCarryAPrefix) {
  auto text = run_logger(false, [] {
    spdlog::warn("{}reconnecting", common::log_tag({.channel = "lark-main"}));
    spdlog::debug("{}first output", common::log_tag({.turn = "t-9"}));
    spdlog::info("plain");
  });
  EXPECT_NE(text.find("[channel=lark-main] reconnecting"), std::string::npos) << text;
  EXPECT_NE(text.find("[turn=t-9] first output"), std::string::npos) << text;
  EXPECT_NE(text.find("info  plain"), std::string::npos) << text;
  EXPECT_EQ(text.find('\x01'), std::string::npos);
}

}  // namespace
}  // namespace patchbay::logging
