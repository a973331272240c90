#include "request_log.hpp"

#include "validate.hpp"

namespace patchbay::fakes::ilink {

namespace json = boost::json;

namespace {

constexpr std::size_t max_body_text = std::size_t{16} * 1024;

}  // namespace

std::uint64_t request_log::add(const kit::http_request& req, std::int64_t time_ms,
                               std::size_t max_entries) {
  request_record r;
  common::copy_request_line(r, req, time_ms);
  r.headers = common::logged_headers(
      req.headers, [](std::string_view name) { return iequals(name, "authorization"); },
      "Bearer ***");
  if (req.path.rfind("/c2c/", 0) == 0 && !req.body.empty()) {
    std::string size = std::string("<").append(std::to_string(req.body.size())).append(" bytes>");
    r.body = json::string(size);  // media: not kept
  } else {
    r.body = common::logged_body(req.body, max_body_text);
  }
  entries_.set_max(max_entries);
  return entries_.push(std::move(r));
}

void request_log::set_account(std::uint64_t id, const std::string& account) {
  if (auto* r = entries_.find(id)) r->account = account;
}

void request_log::answered(std::uint64_t id, unsigned status, const json::object* answer) {
  auto* r = entries_.find(id);
  if (!r) return;
  r->answered = true;
  r->status = status;
  if (!answer) return;
  const auto* errcode = answer->if_contains("errcode");
  const auto* ret = answer->if_contains("ret");
  if (errcode && errcode->is_int64()) {
    r->errcode = errcode->get_int64();
  } else if (ret && ret->is_int64() && ret->get_int64() != 0) {
    r->errcode = ret->get_int64();
  }
  const auto* msgs = answer->if_contains("msgs");
  if (msgs && msgs->is_array()) r->msgs = static_cast<std::int64_t>(msgs->get_array().size());
}

void request_log::dropped(std::uint64_t id) {
  if (auto* r = entries_.find(id)) {
    r->answered = true;
    r->dropped = true;
  }
}

json::array request_log::to_json(const std::string& account_filter) const {
  json::array out;
  for (const auto& [id, r] : entries_) {
    if (!account_filter.empty() && r.account != account_filter) continue;
    json::object o{{"id", id},
                   {"time_ms", r.time_ms},
                   {"method", r.method},
                   {"path", r.path},
                   {"query", r.query},
                   {"account", r.account},
                   {"headers", r.headers},
                   {"body", r.body},
                   {"answered", r.answered},
                   {"status", r.status}};
    o["errcode"] = r.errcode ? json::value(*r.errcode) : json::value(nullptr);
    if (r.dropped) o["dropped"] = true;
    if (r.msgs) o["msgs"] = *r.msgs;
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace patchbay::fakes::ilink
