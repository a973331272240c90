#include "faults.hpp"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <utility>

namespace patchbay::fakes::ilink {

namespace json = boost::json;

namespace {

constexpr std::array<std::pair<fault_kind, std::string_view>, 9> kinds{{
    {fault_kind::expire_session, "expire_session"},
    {fault_kind::expire_session_hard, "expire_session_hard"},
    {fault_kind::fail_notifystart, "fail_notifystart"},
    {fault_kind::duplicate_delivery, "duplicate_delivery"},
    {fault_kind::stall, "stall"},
    {fault_kind::drop_connection, "drop_connection"},
    {fault_kind::send_ret, "send_ret"},
    {fault_kind::http_status, "http_status"},
    {fault_kind::cdn_no_param, "cdn_no_param"},
}};

std::string_view default_path(fault_kind k) {
  switch (k) {
    case fault_kind::fail_notifystart:
      return "msg/notifystart";
    case fault_kind::send_ret:
      return "sendmessage";
    case fault_kind::cdn_no_param:
      return "/c2c/upload";
    default:
      return "getupdates";
  }
}

// Reads an optional integer field; false (with `err` set) when present but not an int in range.
bool opt_int(const json::object& o, std::string_view key, std::int64_t lo, std::int64_t hi,
             std::optional<std::int64_t>& out, std::string& err) {
  const auto* v = o.if_contains(key);
  if (!v) return true;
  if (v->is_int64() && v->get_int64() >= lo && v->get_int64() <= hi) {
    out = v->get_int64();
    return true;
  }
  if (v->is_uint64() && hi >= 0 && v->get_uint64() <= static_cast<std::uint64_t>(hi)) {
    out = static_cast<std::int64_t>(v->get_uint64());
    return true;
  }
  err = std::string("'").append(key).append("' must be an integer in [");
  err.append(std::to_string(lo)).append(", ").append(std::to_string(hi)).append("]");
  return false;
}

}  // namespace

std::string_view to_string(fault_kind k) {
  for (const auto& [kind, name] : kinds) {
    if (kind == k) return name;
  }
  return "?";
}

std::variant<fault, std::string> parse_fault(const json::object& body) {
  fault f;
  const auto* kind = body.if_contains("kind");
  if (!kind || !kind->is_string()) return std::string("'kind' (string) is required");
  bool known = false;
  for (const auto& [k, name] : kinds) {
    if (kind->get_string() == name) {
      f.kind = k;
      known = true;
    }
  }
  if (!known) return "unknown fault kind '" + std::string(kind->get_string()) + "'";

  auto str = [&](std::string_view key, std::string& out) -> bool {
    const auto* v = body.if_contains(key);
    if (!v) return true;
    if (!v->is_string()) return false;
    out = std::string(v->get_string());
    return true;
  };
  if (!str("account", f.account)) return std::string("'account' must be a string");
  f.path = std::string(default_path(f.kind));
  if (!str("path", f.path) || f.path.empty())
    return std::string("'path' must be a non-empty string");
  if (!str("errmsg", f.errmsg)) return std::string("'errmsg' must be a string");
  if (!str("body", f.body)) return std::string("'body' must be a string");

  std::string err;
  std::optional<std::int64_t> count, duration, status, ret, errcode;
  if (!opt_int(body, "count", -1, 1'000'000, count, err) ||
      !opt_int(body, "duration_ms", 0, 3'600'000, duration, err) ||
      !opt_int(body, f.kind == fault_kind::http_status ? "status" : "http_status", 100, 999, status,
               err) ||
      !opt_int(body, "ret", -1'000'000, 1'000'000, ret, err) ||
      !opt_int(body, "errcode", -1'000'000, 1'000'000, errcode, err)) {
    return err;
  }
  if (count && *count == 0) return std::string("'count' must be >= 1, or -1 for unlimited");
  f.remaining = count ? static_cast<int>(*count) : 1;
  f.duration_ms = duration ? *duration : 60'000;

  for (const char* flag : {"empty_body", "with_ret"}) {
    const auto* v = body.if_contains(flag);
    if (v && !v->is_bool()) return "'" + std::string(flag) + "' must be a boolean";
    if (v) (std::string_view(flag) == "empty_body" ? f.empty_body : f.with_ret) = v->get_bool();
  }

  switch (f.kind) {
    case fault_kind::http_status:
      f.http_status = status ? static_cast<unsigned>(*status) : 500;
      break;
    case fault_kind::fail_notifystart:
      f.http_status = status ? static_cast<unsigned>(*status) : 0;
      f.errcode = errcode ? static_cast<int>(*errcode) : -1;
      f.ret = ret ? static_cast<int>(*ret) : *f.errcode;
      if (f.errmsg.empty()) f.errmsg = "notifystart failed (fake fault)";
      break;
    case fault_kind::send_ret:
      if (ret) f.ret = static_cast<int>(*ret);
      if (errcode) f.errcode = static_cast<int>(*errcode);
      if (!ret && !errcode && !f.empty_body) f.ret = -2;
      break;
    case fault_kind::expire_session:
    case fault_kind::expire_session_hard: {
      const auto* p = body.if_contains("paths");
      if (p) {
        if (!p->is_array()) return std::string("'paths' must be an array of strings");
        for (const auto& e : p->get_array()) {
          if (!e.is_string() || e.get_string().empty())
            return std::string("'paths' must be an array of strings");
          f.paths.emplace_back(e.get_string());
        }
      } else {
        f.paths.emplace_back("getupdates");
        if (f.kind == fault_kind::expire_session_hard) f.paths.emplace_back("msg/notifystart");
      }
      break;
    }
    default:
      break;
  }
  return f;
}

json::object to_json(const fault& f) {
  json::object o{{"kind", to_string(f.kind)},
                 {"account", f.account},
                 {"path", f.path},
                 {"count", f.remaining}};
  if (f.kind == fault_kind::stall) o["duration_ms"] = f.duration_ms;
  if (f.http_status) o["http_status"] = f.http_status;
  if (f.ret) o["ret"] = *f.ret;
  if (f.errcode) o["errcode"] = *f.errcode;
  if (f.empty_body) o["empty_body"] = true;
  return o;
}

bool path_matches(std::string_view fault_path, std::string_view request_path) {
  if (fault_path == request_path) return true;
  if (fault_path.empty() || request_path.size() <= fault_path.size()) return false;
  const auto tail = request_path.substr(request_path.size() - fault_path.size());
  return tail == fault_path && request_path[request_path.size() - fault_path.size() - 1] == '/';
}

void fault_table::arm(fault f) { faults_.push_back(std::move(f)); }

std::optional<fault> fault_table::take_if(fault_kind kind, std::string_view account,
                                          const std::string_view* path) {
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->kind != kind || (!it->account.empty() && it->account != account)) continue;
    if (path && !path_matches(it->path, *path)) continue;
    fault copy = *it;
    if (it->remaining > 0 && --it->remaining == 0) faults_.erase(it);
    return copy;
  }
  return std::nullopt;
}

std::optional<fault> fault_table::take(fault_kind kind, std::string_view request_path,
                                       std::string_view account) {
  return take_if(kind, account, &request_path);
}

std::optional<fault> fault_table::take_any_path(fault_kind kind, std::string_view account) {
  return take_if(kind, account, nullptr);
}

json::array fault_table::to_json() const {
  json::array a;
  for (const auto& f : faults_) a.push_back(ilink::to_json(f));
  return a;
}

}  // namespace patchbay::fakes::ilink
