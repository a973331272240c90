#include "app/logging.hpp"

#include "patchbay/common/log_subject.hpp"
#include "patchbay/kit/diagnostics.hpp"

#include <spdlog/async.h>
#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <chrono>
#include <cstdio>

namespace patchbay::logging {
namespace {

// {"ts":"2026-11-22T10:00:00.123Z","level":"info","logger":"host","channel":"...","turn":"...",
//  "msg":"..."} (channel and turn only when the line has them)
class json_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    auto t = msg.time;
    auto secs = time_point_cast<seconds>(t);
    auto ms = duration_cast<milliseconds>(t - secs).count();
    std::time_t tt = system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char ts[64];
    std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms));
    auto level = spdlog::level::to_string_view(msg.level);
    auto p = common::log_untag(std::string_view(msg.payload.data(), msg.payload.size()));
    std::string line = std::string("{\"ts\":\"") + ts + "\",\"level\":\"";
    line.append(level.data(), level.size()).append("\",\"logger\":\"");
    line += json_escape(std::string_view(msg.logger_name.data(), msg.logger_name.size()));
    if (!p.channel.empty()) line.append("\",\"channel\":\"").append(json_escape(p.channel));
    if (!p.turn.empty()) line.append("\",\"turn\":\"").append(json_escape(p.turn));
    line.append("\",\"msg\":\"").append(json_escape(p.text)).append("\"}\n");
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>();
  }
};

// Text lines: the tag becomes "[channel=<id> turn=<id>] " in front of the message; the rest is
// the pattern's.
class text_formatter final : public spdlog::formatter {
 public:
  explicit text_formatter(std::string pattern)
      : pattern_(std::move(pattern)),
        inner_(std::make_unique<spdlog::pattern_formatter>(pattern_)) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string_view payload(msg.payload.data(), msg.payload.size());
    if (payload.empty() || !common::log_is_tagged(payload)) return inner_->format(msg, dest);
    auto p = common::log_untag(payload);
    std::string text = "[";
    if (!p.channel.empty()) text.append("channel=").append(p.channel);
    if (!p.turn.empty()) text.append(p.channel.empty() ? "" : " ").append("turn=").append(p.turn);
    text.append("] ").append(p.text);
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(text.data(), text.size());
    inner_->format(copy, dest);
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<text_formatter>(pattern_);
  }

 private:
  std::string pattern_;
  std::unique_ptr<spdlog::pattern_formatter> inner_;
};

}  // namespace

std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // Validate one UTF-8 sequence; copy it whole or emit U+FFFD.
    size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len != 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k)
      ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

void init(const options& opt) {
  spdlog::drop_all();
  if (!spdlog::thread_pool()) spdlog::init_thread_pool(opt.queue_size, 1);
  std::shared_ptr<spdlog::sinks::sink> sink = opt.sink;
  if (!sink) sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto logger = std::make_shared<spdlog::async_logger>(
      "patchbay", sink, spdlog::thread_pool(), spdlog::async_overflow_policy::overrun_oldest);
  if (opt.json)
    logger->set_formatter(std::make_unique<json_formatter>());
  else
    logger->set_formatter(std::make_unique<text_formatter>("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v"));
  logger->set_level(spdlog::level::from_str(opt.level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  // What the kit swallows (a callback that threw, a failed connection) goes to this log, in its
  // format, instead of raw lines on stderr. Looked up per line: shutdown() may drop the logger.
  kit::set_diagnostic_sink([](kit::diagnostic_level level, std::string_view text) {
    if (auto l = spdlog::default_logger())
      l->log(level == kit::diagnostic_level::error ? spdlog::level::err : spdlog::level::warn,
             "kit: {}", text);
  });
}

void shutdown() {
  if (auto l = spdlog::default_logger()) l->flush();
  spdlog::shutdown();
}

uint64_t dropped_lines() {
  auto tp = spdlog::thread_pool();
  return tp ? tp->overrun_counter() : 0;
}

}  // namespace patchbay::logging
