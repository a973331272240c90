#include "api/metrics.hpp"

#include <optional>

#include "api/media_route.hpp"
#include "api/queue_routes.hpp"
#include "app/logging.hpp"
#include "metrics/exposition.hpp"

namespace patchbay::api {
namespace {
using metrics::metric_type;

constexpr auto all_states = [] {
  std::array<plugin::channel_state, static_cast<std::size_t>(plugin::channel_state::unknown) + 1>
      a{};
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<plugin::channel_state>(i);
  return a;
}();

// ---- Gauges read from the status board at scrape time. ----
//
// Seconds since the channel's last liveness proof (absent for a channel that never sent one, e.g.
// a plugin older than ABI minor 2), and its outbound calls in flight (the host has no outbound
// queue yet: what the plugin was handed and has not completed).
std::optional<double> liveness_age_seconds(const plugin::channel_status& c, int64_t now_ms) {
  if (c.last_liveness_unix_ms <= 0) return std::nullopt;
  return static_cast<double>(std::max<int64_t>(0, now_ms - c.last_liveness_unix_ms)) / 1000.0;
}
std::optional<int64_t> outbound_queue_depth(const plugin::channel_status& c) {
  if (!c.started) return std::nullopt;
  return static_cast<int64_t>(c.outbound.in_flight);
}

void write_board_gauges(metrics::text_writer& w, const std::vector<plugin::channel_status>& chans) {
  w.family("patchbay_channel_state",
           "1 for the channel's current state, 0 for every other known state.", metric_type::gauge);
  for (const auto& c : chans)
    for (auto s : all_states)
      w.sample("patchbay_channel_state", {{"channel", c.id}, {"state", plugin::to_string(s)}},
               uint64_t{c.state == s ? 1U : 0U});

  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  bool family_written = false;
  for (const auto& c : chans)
    if (auto age = liveness_age_seconds(c, now_ms)) {
      if (!std::exchange(family_written, true))
        w.family("patchbay_channel_liveness_age_seconds",
                 "Seconds since the channel's last sign of life (a poll answer, pong, event or "
                 "successful API call).",
                 metric_type::gauge);
      w.sample("patchbay_channel_liveness_age_seconds", {{"channel", c.id}}, *age);
    }
  family_written = false;
  for (const auto& c : chans)
    if (auto depth = outbound_queue_depth(c)) {
      if (!std::exchange(family_written, true))
        w.family("patchbay_channel_outbound_queue_depth",
                 "Send, edit and typing calls made into the channel's plugin and not completed "
                 "yet.",
                 metric_type::gauge);
      w.sample("patchbay_channel_outbound_queue_depth", {{"channel", c.id}}, *depth);
    }
}

}  // namespace

kit::http_response metrics_response(api_context& ctx) {
  metrics::text_writer w;
  w.family("patchbay_up", "1 while the host process runs.", metric_type::gauge);
  w.sample("patchbay_up", {}, uint64_t{1});
  const auto up = std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx.started_at);
  w.family("patchbay_uptime_seconds", "Seconds since the host started.", metric_type::gauge);
  w.sample("patchbay_uptime_seconds", {}, up.count());

  const auto channels = ctx.registry.snapshot();
  write_board_gauges(w, channels);
  std::vector<std::string> ids;
  ids.reserve(channels.size());
  for (const auto& c : channels) ids.push_back(c.id);
  const metrics::registry none;  // no registry (tests of the routes alone): every count is 0
  const metrics::registry& reg = ctx.metrics != nullptr ? *ctx.metrics : none;
  reg.write_channels(w, ids);

  if (ctx.turns != nullptr) {
    const auto load = ctx.turns->router_load();
    w.family("patchbay_router_queue_depth",
             "Turns admitted to the router and waiting for their thread's earlier turns.",
             metric_type::gauge);
    w.sample("patchbay_router_queue_depth", {}, uint64_t{load.queued});
    w.family("patchbay_router_turns_running", "Turns started on their agent and not ended yet.",
             metric_type::gauge);
    w.sample("patchbay_router_turns_running", {}, uint64_t{load.running});
  }
  reg.write_turns(w);

  if (ctx.store != nullptr) {  // the durable outbound queue, per channel that has rows
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    const auto figures = queue_stats(*ctx.store, now_ms);
    w.family("patchbay_outbound_queue_ops",
             "Operations in the durable outbound queue: live (pending or in flight) and dead "
             "letters.",
             metric_type::gauge);
    for (const auto& [id, f] : figures) {
      w.sample("patchbay_outbound_queue_ops", {{"channel", id}, {"state", "live"}}, f.depth);
      w.sample("patchbay_outbound_queue_ops", {{"channel", id}, {"state", "dead"}}, f.dead);
    }
    w.family("patchbay_outbound_queue_oldest_age_seconds",
             "Age of the channel's oldest live operation in the durable outbound queue (0 when "
             "none).",
             metric_type::gauge);
    for (const auto& [id, f] : figures)
      w.sample("patchbay_outbound_queue_oldest_age_seconds", {{"channel", id}},
               static_cast<double>(f.oldest_age_ms) / 1000.0);
  }

  if (ctx.media != nullptr) write_media_metrics(w, ctx.media->counts());

  w.family("patchbay_log_dropped_total", "Log lines dropped because the log queue was full.",
           metric_type::counter);
  w.sample("patchbay_log_dropped_total", {}, logging::dropped_lines());

  kit::http_response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = w.take();
  return r;
}

}  // namespace patchbay::api
