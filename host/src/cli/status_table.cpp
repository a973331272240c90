#include "cli/status_table.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <vector>

namespace patchbay::cli {
namespace {

namespace json = boost::json;

std::string text(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

int64_t number(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<int64_t>(v->get_double());
  return 0;
}

std::string ago(int64_t unix_ms, int64_t now) {
  return unix_ms <= 0 ? std::string("-") : compact_duration(now - unix_ms) + " ago";
}

// Clips to `max` bytes without cutting a UTF-8 sequence, marking the cut.
std::string clip(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s + "...";
}

}  // namespace

std::string compact_duration(int64_t ms) {
  const int64_t s = std::max<int64_t>(0, ms) / 1000;
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  else if (s < 86400)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60));
  else
    std::snprintf(buf, sizeof buf, "%lldd%02lldh", static_cast<long long>(s / 86400),
                  static_cast<long long>(s / 3600 % 24));
  return buf;
}

std::string render_status_table(const json::value& v, int64_t now) {
  using row = std::array<std::string, 7>;
  std::vector<row> rows{
      {"CHANNEL", "PLUGIN", "STATE", "FOR", "LAST INBOUND", "NEXT TRY", "LAST ERROR"}};
  std::vector<std::vector<std::string>> notes{{}};
  for (const auto& item : v.at("channels").as_array()) {
    const auto& o = item.as_object();
    const std::string state = text(o, "state");
    const int64_t since = number(o, "since_unix_ms");
    const int64_t next = number(o, "next_attempt_unix_ms");
    std::string last_error = "-";
    std::string last_error_text;
    if (const auto* e = o.if_contains("last_error"); e && e->is_object()) {
      last_error_text = text(e->as_object(), "text");
      last_error =
          clip(last_error_text, 80) + " (" + ago(number(e->as_object(), "unix_ms"), now) + ")";
    }
    std::string next_try = "-";
    if (next > 0) next_try = next > now ? "in " + compact_duration(next - now) : "now";
    if (next_try != "-" && number(o, "attempt") > 0)
      next_try += " (#" + std::to_string(number(o, "attempt")) + ")";
    rows.push_back(
        {text(o, "id"), text(o, "plugin"), state, since > 0 ? compact_duration(now - since) : "-",
         o.contains("last_inbound_unix_ms") ? ago(number(o, "last_inbound_unix_ms"), now) : "-",
         next_try, last_error});
    std::vector<std::string> n;
    const std::string reason = text(o, "reason");
    if (state != "connected" && !reason.empty() && reason != last_error_text)
      n.push_back("reason: " + clip(reason, 200));
    if (const std::string problem = text(o, "agent_problem"); !problem.empty())
      n.push_back("agent problem: " + clip(problem, 200));
    notes.push_back(std::move(n));
  }
  std::array<std::size_t, 7> width{};
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  std::string out;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    std::string line;
    for (std::size_t i = 0; i < rows[k].size(); ++i) {
      line += rows[k][i];
      if (i + 1 < rows[k].size()) line += std::string(width[i] - rows[k][i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
    for (const auto& n : notes[k]) out += "    " + n + "\n";
  }
  return out;
}

}  // namespace patchbay::cli
