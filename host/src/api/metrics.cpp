#include "api/metrics.hpp"

#include "app/logging.hpp"

namespace patchbay::api {
namespace {

std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

kit::http_response metrics_response(api_context& ctx) {
  std::string m;
  m += "# HELP patchbay_up 1 while the host process runs.\n# TYPE patchbay_up gauge\npatchbay_up "
       "1\n";
  auto up = std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx.started_at);
  m += "# HELP patchbay_uptime_seconds Seconds since the host started.\n"
       "# TYPE patchbay_uptime_seconds gauge\npatchbay_uptime_seconds " +
       std::to_string(up.count()) + "\n";
  m += "# HELP patchbay_channel_state Current state of each channel (1 for the active state).\n"
       "# TYPE patchbay_channel_state gauge\n";
  auto channels = ctx.registry.snapshot();
  for (const auto& c : channels)
    m += "patchbay_channel_state{channel=\"" + label(c.id) + "\",state=\"" +
         label(plugin::to_string(c.state)) + "\"} 1\n";
  m += "# HELP patchbay_inbound_total Inbound events handed over by plugins, by outcome.\n"
       "# TYPE patchbay_inbound_total counter\n";
  for (const auto& c : channels) {
    auto line = [&](const char* outcome, uint64_t n) {
      m += "patchbay_inbound_total{channel=\"" + label(c.id) + "\",outcome=\"" + outcome + "\"} " +
           std::to_string(n) + "\n";
    };
    line("accepted", c.inbound_accepted);
    line("duplicate", c.inbound_duplicates);
    line("refused", c.inbound_refused);
  }
  m += "# HELP patchbay_log_dropped_total Log lines dropped because the log queue was full.\n"
       "# TYPE patchbay_log_dropped_total counter\npatchbay_log_dropped_total " +
       std::to_string(logging::dropped_lines()) + "\n";
  kit::http_response r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = std::move(m);
  return r;
}

}  // namespace patchbay::api
