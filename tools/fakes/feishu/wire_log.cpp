#include "wire_log.hpp"

#include <boost/json/object.hpp>

namespace patchbay::fakes::feishu {

namespace json = boost::json;

namespace {

constexpr std::size_t max_body_text = std::size_t{4} * 1024;

// Request bodies may carry AppSecret / app_secret: never recorded.
bool secret_field(std::string_view k) {
  return k == "AppSecret" || k == "app_secret" || k == "ClientAssertion";
}

}  // namespace

std::uint64_t wire_log::add_http(std::int64_t time_ms, std::string method, std::string path,
                                 std::string query, std::string_view body) {
  entry e;
  e.time_ms = time_ms;
  e.http.method = std::move(method);
  e.http.path = std::move(path);
  e.http.query = std::move(query);
  e.http.body = common::logged_body(body, max_body_text, secret_field);
  return entries_.push(std::move(e));
}

void wire_log::answered(std::uint64_t id, unsigned status, std::optional<std::int64_t> code) {
  if (auto* e = entries_.find(id)) {
    e->http.status = status;
    e->http.code = code;
  }
}

void wire_log::add_frame(std::int64_t time_ms, frame_entry f) {
  entry e;
  e.time_ms = time_ms;
  e.is_frame = true;
  e.frame = std::move(f);
  entries_.push(std::move(e));
}

json::array wire_log::to_json() const {
  json::array out;
  out.reserve(entries_.size());
  for (const auto& slot : entries_) {
    const entry& e = slot.value;
    if (e.is_frame) {
      const auto& f = e.frame;
      out.push_back(json::object{{"kind", "frame"},
                                 {"time_ms", e.time_ms},
                                 {"conn", f.conn},
                                 {"dir", f.out ? "out" : "in"},
                                 {"method", f.method},
                                 {"type", f.type},
                                 {"message_id", f.message_id},
                                 {"sum", f.sum},
                                 {"seq", f.seq},
                                 {"payload_size", f.payload_size}});
    } else {
      const auto& h = e.http;
      json::object o{{"kind", "http"}, {"time_ms", e.time_ms}, {"method", h.method},
                     {"path", h.path}, {"query", h.query},     {"status", h.status},
                     {"body", h.body}};
      o["code"] = h.code ? json::value(*h.code) : json::value(nullptr);
      out.push_back(std::move(o));
    }
  }
  return out;
}

}  // namespace patchbay::fakes::feishu
