#include "metrics/registry.hpp"

namespace patchbay::metrics {

const char* to_string(agent_error_kind k) {
  switch (k) {
    case agent_error_kind::error_answer:
      return "error_answer";
    case agent_error_kind::failure:
      return "failure";
    case agent_error_kind::start_refused:
      return "start_refused";
    case agent_error_kind::timeout:
      return "timeout";
  }
  return "unknown";
}

registry::registry() : table_(std::make_shared<const channel_table>()) {}

std::shared_ptr<channel_counters> registry::channel(const std::string& id) {
  std::lock_guard lk(mu_);
  auto current = table_.load();
  if (auto it = current->find(id); it != current->end()) return it->second;
  auto next = std::make_shared<channel_table>(*current);
  auto block = std::make_shared<channel_counters>(id);
  next->emplace(id, block);
  table_.store(std::move(next));
  return block;
}

std::shared_ptr<channel_counters> registry::find_channel(std::string_view id) const {
  auto current = table_.load();
  auto it = current->find(id);
  return it == current->end() ? nullptr : it->second;
}

std::shared_ptr<agent_counters> registry::agent(const std::string& name) {
  std::lock_guard lk(agents_mu_);
  auto& slot = agents_[name];
  if (!slot) slot = std::make_shared<agent_counters>(name);
  return slot;
}

void registry::write_channels(text_writer& w, const std::vector<std::string>& ids) const {
  const auto table = table_.load();
  const channel_counters zero("");
  std::vector<const channel_counters*> blocks;
  for (const auto& id : ids) {
    auto it = table->find(id);
    blocks.push_back(it == table->end() ? &zero : it->second.get());
  }

  w.family("patchbay_inbound_total",
           "Inbound events handed over by plugins, by outcome of the durable dedup (accepted, "
           "duplicate, refused).",
           metric_type::counter);
  for (std::size_t i = 0; i < ids.size(); ++i)
    for (auto o : all_inbound_outcomes)
      w.sample("patchbay_inbound_total", {{"channel", ids[i]}, {"outcome", to_string(o)}},
               blocks[i]->inbound_count(o));

  w.family("patchbay_inbound_refused_total",
           "Inbound events refused before they were stored or acknowledged, by reason (overload: "
           "the host's admission limit, host.admission); the platform delivers them again.",
           metric_type::counter);
  for (std::size_t i = 0; i < ids.size(); ++i)
    w.sample("patchbay_inbound_refused_total", {{"channel", ids[i]}, {"reason", "overload"}},
             blocks[i]->overloaded_count());

  w.family("patchbay_outbound_total",
           "Results of the send, edit and typing calls made into plugins, by kind and result "
           "class (ok or the pb_error_code class).",
           metric_type::counter);
  for (std::size_t i = 0; i < ids.size(); ++i)
    for (auto k : all_op_kinds)
      for (int c = 0; c < result_classes; ++c)
        w.sample("patchbay_outbound_total",
                 {{"channel", ids[i]}, {"kind", to_string(k)}, {"class", result_class_name(c)}},
                 blocks[i]->outbound_count(k, c));

  w.family("patchbay_channel_reconnects_total",
           "Transitions of a channel into the reconnecting state, as reported by its plugin.",
           metric_type::counter);
  for (std::size_t i = 0; i < ids.size(); ++i)
    w.sample("patchbay_channel_reconnects_total", {{"channel", ids[i]}}, blocks[i]->reconnects());

  w.family("patchbay_channel_access_refused_total",
           "Inbound messages refused by the channel's access rules (deny list, unknown sender, "
           "group not allowed, direct messages disabled); each one dropped without an answer, or "
           "answered with a pairing code.",
           metric_type::counter);
  for (std::size_t i = 0; i < ids.size(); ++i)
    w.sample("patchbay_channel_access_refused_total", {{"channel", ids[i]}},
             blocks[i]->access_refused_count());
  w.family("patchbay_channel_rate_limited_total",
           "Inbound messages over the channel's per-sender or per-channel rate limit (noticed, "
           "queued or dropped).",
           metric_type::counter);
  for (std::size_t i = 0; i < ids.size(); ++i)
    w.sample("patchbay_channel_rate_limited_total", {{"channel", ids[i]}},
             blocks[i]->rate_limited_count());
  w.family("patchbay_channel_late_total",
           "Inbound messages that reached the host later than late.after_s after they were sent, "
           "and were not run.",
           metric_type::counter);
  for (std::size_t i = 0; i < ids.size(); ++i)
    w.sample("patchbay_channel_late_total", {{"channel", ids[i]}}, blocks[i]->late_count());

  w.family("patchbay_hook_requests_total",
           "Requests to /hooks/<channel> answered, by HTTP status (including requests the plugin "
           "refused, e.g. replays or bad signatures).",
           metric_type::counter);
  for (std::size_t i = 0; i < ids.size(); ++i)
    for (unsigned s = channel_counters::min_status; s <= channel_counters::max_status; ++s)
      if (uint64_t n = blocks[i]->hook_answers(s); n > 0)
        w.sample("patchbay_hook_requests_total", {{"channel", ids[i]}, {"code", std::to_string(s)}},
                 n);
}

void registry::write_turns(text_writer& w) const {
  w.family("patchbay_turns_started_total",
           "Turns admitted to the router (channel and API turns); each ends exactly once.",
           metric_type::counter);
  w.sample("patchbay_turns_started_total", {}, turns_.started.value());
  w.family("patchbay_turns_finished_total",
           "Turns ended, by outcome: completed (done), errored (an error reached the user), "
           "timed_out (the agent stayed silent past host.turn_timeout_ms).",
           metric_type::counter);
  w.sample("patchbay_turns_finished_total", {{"outcome", "completed"}}, turns_.completed.value());
  w.sample("patchbay_turns_finished_total", {{"outcome", "errored"}}, turns_.errored.value());
  w.sample("patchbay_turns_finished_total", {{"outcome", "timed_out"}}, turns_.timed_out.value());
  w.family("patchbay_turns_refused_total",
           "Turns refused at admission because the router or the thread queue was full (the user "
           "got a busy notice).",
           metric_type::counter);
  w.sample("patchbay_turns_refused_total", {}, turns_.refused.value());
  w.family("patchbay_turn_first_output_seconds",
           "Seconds from a turn's admission to its first output (delta or content).",
           metric_type::histogram);
  w.histogram("patchbay_turn_first_output_seconds", {}, turns_.first_output.read());
  w.family("patchbay_turn_duration_seconds",
           "Seconds from a turn's admission to its terminal event (complete or error).",
           metric_type::histogram);
  w.histogram("patchbay_turn_duration_seconds", {}, turns_.duration.read());

  w.family("patchbay_agent_errors_total",
           "Turns an agent let down, by kind: error_answer, failure, start_refused, timeout.",
           metric_type::counter);
  {
    std::lock_guard lk(agents_mu_);
    for (const auto& [name, a] : agents_)
      for (auto k : all_agent_error_kinds)
        w.sample("patchbay_agent_errors_total", {{"agent", name}, {"kind", to_string(k)}},
                 a->errors(k));
  }
  w.family("patchbay_sse_clients", "Open Server-Sent Event streams of POST /v1/chat.",
           metric_type::gauge);
  w.sample("patchbay_sse_clients", {}, sse_clients_.value());
}

}  // namespace patchbay::metrics
