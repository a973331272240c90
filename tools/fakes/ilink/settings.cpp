#include "settings.hpp"

#include <boost/json/value.hpp>

#include <initializer_list>
#include <string_view>

namespace patchbay::fakes::ilink {

namespace json = boost::json;

json::object to_json(const settings& s) {
  return {
      {"hold_ms", s.hold_ms},
      {"longpolling_timeout_ms", s.longpolling_timeout_ms},
      {"empty_cursor", s.empty_cursor_backlog ? "backlog" : "now"},
      {"ids_as_strings", s.ids_as_strings},
      {"session_error_with_ret", s.session_error_with_ret},
      {"max_batch", s.max_batch},
      {"retain_messages", s.retain_messages},
      {"send_budget_per_token", s.send_budget_per_token},
      {"progress_counts", s.progress_counts},
      {"upload_full_url", s.upload_full_url},
      {"max_text_units", s.max_text_units},
      {"missing_token_ret", s.missing_token_ret},
      {"bad_token_ret", s.bad_token_ret},
      {"context_token_ttl_ms", s.context_token_ttl_ms},
      {"send_success", s.send_success},
      {"duplicate_client_id", s.duplicate_client_id},
      {"qr_verify_code", s.qr_verify_code},
      {"qr_ttl_ms", s.qr_ttl_ms},
      {"max_requests", s.max_requests},
      {"max_sent", s.max_sent},
  };
}

namespace {

bool read_int(const json::value& v, std::int64_t lo, std::int64_t hi, std::int64_t& out) {
  if (v.is_int64()) {
    out = v.get_int64();
  } else if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(hi)) {
    out = static_cast<std::int64_t>(v.get_uint64());
  } else {
    return false;
  }
  return out >= lo && out <= hi;
}

bool one_of(std::string_view v, std::initializer_list<std::string_view> allowed) {
  for (auto a : allowed) {
    if (v == a) return true;
  }
  return false;
}

}  // namespace

std::string apply_patch(settings& target, const json::object& patch) {
  settings s = target;
  constexpr std::int64_t day = 24LL * 3600 * 1000;
  for (const auto& entry : patch) {
    // Named members, not a structured binding: clang before 16 cannot capture a binding.
    const json::value& v = entry.value();
    std::int64_t n = 0;
    auto int_in = [&](std::int64_t lo, std::int64_t hi) { return read_int(v, lo, hi, n); };
    const std::string k(entry.key());
    if (k == "hold_ms" && int_in(0, day)) {
      s.hold_ms = n;
    } else if (k == "longpolling_timeout_ms" && int_in(0, day)) {
      s.longpolling_timeout_ms = n;
    } else if (k == "empty_cursor" && v.is_string() && one_of(v.get_string(), {"backlog", "now"})) {
      s.empty_cursor_backlog = v.get_string() == "backlog";
    } else if (k == "ids_as_strings" && v.is_bool()) {
      s.ids_as_strings = v.get_bool();
    } else if (k == "session_error_with_ret" && v.is_bool()) {
      s.session_error_with_ret = v.get_bool();
    } else if (k == "max_batch" && int_in(1, 10'000)) {
      s.max_batch = static_cast<std::size_t>(n);
    } else if (k == "retain_messages" && int_in(1, 100'000)) {
      s.retain_messages = static_cast<std::size_t>(n);
    } else if (k == "send_budget_per_token" && int_in(0, 1'000'000)) {
      s.send_budget_per_token = static_cast<int>(n);
    } else if (k == "progress_counts" && v.is_bool()) {
      s.progress_counts = v.get_bool();
    } else if (k == "upload_full_url" && v.is_bool()) {
      s.upload_full_url = v.get_bool();
    } else if (k == "max_text_units" && int_in(1, 10'000'000)) {
      s.max_text_units = static_cast<std::size_t>(n);
    } else if (k == "missing_token_ret" && int_in(-1'000'000, 0)) {
      s.missing_token_ret = static_cast<int>(n);
    } else if (k == "bad_token_ret" && int_in(-1'000'000, 0)) {
      s.bad_token_ret = static_cast<int>(n);
    } else if (k == "context_token_ttl_ms" && int_in(0, 365 * day)) {
      s.context_token_ttl_ms = n;
    } else if (k == "send_success" && v.is_string() &&
               one_of(v.get_string(), {"message_id", "ret_only", "empty_object"})) {
      s.send_success = std::string(v.get_string());
    } else if (k == "duplicate_client_id" && v.is_string() &&
               one_of(v.get_string(), {"accept", "dedupe", "reject"})) {
      s.duplicate_client_id = std::string(v.get_string());
    } else if (k == "qr_verify_code" && v.is_string() && !v.get_string().empty()) {
      s.qr_verify_code = std::string(v.get_string());
    } else if (k == "qr_ttl_ms" && int_in(1, day)) {
      s.qr_ttl_ms = n;
    } else if (k == "max_requests" && int_in(1, 1'000'000)) {
      s.max_requests = static_cast<std::size_t>(n);
    } else if (k == "max_sent" && int_in(1, 1'000'000)) {
      s.max_sent = static_cast<std::size_t>(n);
    } else {
      return "bad or unknown setting '" + k + "'";
    }
  }
  target = std::move(s);
  return {};
}

}  // namespace patchbay::fakes::ilink
