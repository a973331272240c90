#include "request_log.hpp"

#include "ids.hpp"
#include "patchbay/common/json_util.hpp"

namespace patchbay::fakes::nyxid {

namespace json = boost::json;
namespace json_util = patchbay::common::json_util;

namespace {

bool secret_header(std::string_view name) {
  return iequals(name, "authorization") || iequals(name, "x-nyxid-callback-token") ||
         iequals(name, "x-nyxid-user-token") || iequals(name, "cookie");
}

bool secret_field(std::string_view name) {
  return name == "code" || name == "code_verifier" || name == "access_token" ||
         name == "refresh_token" || name == "reply_token" || name == "client_secret" ||
         name == "id_token";
}

json::value body_value(const kit::http_request& req) {
  if (req.body.empty()) return nullptr;
  if (auto v = common::logged_json_body(req.body, secret_field)) return std::move(*v);
  const std::string_view ct = req.header("content-type");
  if (ct.find("x-www-form-urlencoded") != std::string_view::npos) {
    json::object o;
    std::string_view form = req.body;
    while (!form.empty()) {
      const auto amp = form.find('&');
      const std::string_view pair = form.substr(0, amp);
      const std::string name(pair.substr(0, pair.find('=')));
      if (!name.empty()) {
        o[name] = secret_field(name) ? std::string("***") : form_param(req.body, name).value_or("");
      }
      if (amp == std::string_view::npos) break;
      form.remove_prefix(amp + 1);
    }
    return o;
  }
  return json::string(req.body.substr(0, std::size_t{16} * 1024));
}

}  // namespace

std::uint64_t request_log::add(const kit::http_request& req, std::string endpoint,
                               std::int64_t time_ms) {
  request_record r;
  common::copy_request_line(r, req, time_ms);
  r.endpoint = std::move(endpoint);
  r.headers = common::logged_headers(req.headers, secret_header, "***");
  r.body = body_value(req);
  entries_.set_max(max_entries);
  return entries_.push(std::move(r));
}

void request_log::answered(std::uint64_t seq, unsigned status, const json::object* body) {
  request_record* r = find(seq);
  if (!r) return;
  r->status = status;
  if (!body) return;
  r->error = std::string(json_util::string_at(*body, "error"));
  r->message = std::string(json_util::string_at(*body, "message"));
  if (r->message.empty())
    r->message = std::string(json_util::string_at(*body, "error_description"));
}

json::array request_log::to_json(std::string_view endpoint_filter) const {
  json::array a;
  for (const auto& [seq, r] : entries_) {
    if (!endpoint_filter.empty() && r.endpoint != endpoint_filter) continue;
    a.push_back(json::object{{"seq", seq},
                             {"time_ms", r.time_ms},
                             {"method", r.method},
                             {"path", r.path},
                             {"query", r.query},
                             {"endpoint", r.endpoint},
                             {"headers", r.headers},
                             {"body", r.body},
                             {"credential", r.credential},
                             {"jti", r.jti},
                             {"fault", r.fault},
                             {"status", r.status},
                             {"error", r.error},
                             {"message", r.message}});
  }
  return a;
}

}  // namespace patchbay::fakes::nyxid
