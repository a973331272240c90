#include "wire_log.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

namespace patchbay::fakes::feishu {

namespace json = boost::json;

namespace {

constexpr std::size_t max_body_json = 64 * 1024;
constexpr std::size_t max_body_text = 4 * 1024;

// Request bodies may carry AppSecret / app_secret: never recorded.
void mask_secrets(json::value& v) {
  if (!v.is_object()) return;
  for (auto& [k, val] : v.get_object()) {
    if (k == "AppSecret" || k == "app_secret" || k == "ClientAssertion") val = "***";
  }
}

}  // namespace

std::uint64_t wire_log::add_http(std::int64_t time_ms, std::string method, std::string path,
                                 std::string query, std::string_view body) {
  entry e;
  e.id = next_id_++;
  e.time_ms = time_ms;
  e.http.method = std::move(method);
  e.http.path = std::move(path);
  e.http.query = std::move(query);
  if (!body.empty()) {
    json::error_code ec;
    auto v = body.size() <= max_body_json ? json::parse(body, ec) : json::value();
    if (body.size() <= max_body_json && !ec) {
      mask_secrets(v);
      e.http.body = std::move(v);
    } else {
      e.http.body = json::string(body.substr(0, max_body_text));
    }
  }
  entries_.push_back(std::move(e));
  while (entries_.size() > std::max<std::size_t>(max_, 1)) entries_.pop_front();
  return entries_.back().id;
}

void wire_log::answered(std::uint64_t id, unsigned status, std::optional<std::int64_t> code) {
  if (entries_.empty() || id < entries_.front().id || id > entries_.back().id) return;
  auto& e = entries_[static_cast<std::size_t>(id - entries_.front().id)];
  e.http.status = status;
  e.http.code = code;
}

void wire_log::add_frame(std::int64_t time_ms, frame_entry f) {
  entry e;
  e.id = next_id_++;
  e.time_ms = time_ms;
  e.is_frame = true;
  e.frame = std::move(f);
  entries_.push_back(std::move(e));
  while (entries_.size() > std::max<std::size_t>(max_, 1)) entries_.pop_front();
}

json::array wire_log::to_json() const {
  json::array out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) {
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
