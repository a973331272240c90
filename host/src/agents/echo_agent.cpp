#include "agents/echo_agent.hpp"

#include <boost/json.hpp>

#include "turns/thread_response.hpp"

namespace patchbay::agents {
namespace json = boost::json;

echo_options parse_echo_options(std::string_view options_json, std::string& error) {
  echo_options o;
  json::error_code ec;
  json::value v = json::parse(options_json.empty() ? "{}" : options_json, ec);
  if (ec || !v.is_object()) {
    error = "echo agent options must be an object";
    return o;
  }
  for (const auto& [k, val] : v.get_object()) {
    if (k == "delay_ms" && val.is_int64() && val.get_int64() >= 0 && val.get_int64() <= 60000)
      o.delay = std::chrono::milliseconds(val.get_int64());
    else if (k == "chunks" && val.is_int64() && val.get_int64() >= 1 && val.get_int64() <= 1000)
      o.chunks = static_cast<int>(val.get_int64());
    else if (k == "fail_prefix" && val.is_string())
      o.fail_prefix = std::string(val.get_string());
    else
      error = "echo agent: unknown or invalid option '" + std::string(k) +
              "' (expected delay_ms 0..60000, chunks 1..1000, fail_prefix string)";
  }
  return o;
}

echo_agent::echo_agent(turns::scheduler& sched, echo_options opt, deliver_fn deliver)
    : sched_(sched), opt_(std::move(opt)), deliver_(std::move(deliver)) {}

echo_agent::~echo_agent() {
  for (auto& [id, r] : runs_)
    if (r.timer) sched_.cancel(r.timer);
}

void echo_agent::start(const std::string& turn_id, const std::string& text) {
  run r;
  r.fail = !opt_.fail_prefix.empty() && text.rfind(opt_.fail_prefix, 0) == 0;
  // Split into `chunks` pieces on UTF-8 boundaries (never inside a sequence).
  size_t n = static_cast<size_t>(opt_.chunks), start = 0;
  for (size_t i = 1; i <= n && start < text.size(); ++i) {
    size_t end = i == n ? text.size() : text.size() * i / n;
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
    if (end > start) r.pieces.push_back(text.substr(start, end - start));
    start = end;
  }
  runs_[turn_id] = std::move(r);
  step(turn_id);
}

void echo_agent::cancel(const std::string& turn_id) {
  auto it = runs_.find(turn_id);
  if (it == runs_.end()) return;
  if (it->second.timer) sched_.cancel(it->second.timer);
  runs_.erase(it);
}

void echo_agent::step(const std::string& turn_id) {
  auto it = runs_.find(turn_id);
  if (it == runs_.end()) return;
  run& r = it->second;
  r.timer = 0;
  turns::thread_response out;
  out.turn = turn_id;
  if (r.next < r.pieces.size()) out.delta = r.pieces[r.next++];
  bool last = r.next >= r.pieces.size();
  if (r.fail && r.next >= 1) {
    out.error = "The echo agent was told to fail (message starts with '" + opt_.fail_prefix + "').";
    last = true;
  } else if (last) {
    out.done = true;
  }
  if (last)
    runs_.erase(it);
  else
    r.timer = sched_.schedule(opt_.delay, [this, turn_id] { step(turn_id); });
  deliver_(turns::to_json(out));  // may end the turn; `r` is not used after this
}

}  // namespace patchbay::agents
