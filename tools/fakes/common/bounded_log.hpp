// The fakes' request logs (GET /_fake/requests) share this: entries numbered 1, 2, 3, ... in
// arrival order, the oldest dropped beyond a bound, an entry found again by its number (to fill
// in the answer), and the request parts every log records — headers with secrets masked, the body
// as JSON when it parses (secrets masked) or else as cut text. Pure; no Asio.
//
// Not thread-safe (each log is owned by its fake, under the fake's lock).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "patchbay/kit/http_types.hpp"

namespace patchbay::fakes::common {

template <class T>
class bounded_log {
 public:
  struct slot {
    std::uint64_t id;
    T value;
  };

  explicit bounded_log(std::size_t max_entries) : max_(max_entries) {}

  // Appends `v` (dropping the oldest beyond the bound, at least one kept); returns its number.
  std::uint64_t push(T v) {
    entries_.push_back(slot{next_id_++, std::move(v)});
    while (entries_.size() > std::max<std::size_t>(max_, 1)) entries_.pop_front();
    return entries_.back().id;
  }
  // The entry numbered `id`; nullptr once dropped (or never made).
  T* find(std::uint64_t id) {
    if (entries_.empty() || id < entries_.front().id || id > entries_.back().id) return nullptr;
    return &entries_[static_cast<std::size_t>(id - entries_.front().id)].value;
  }
  // Empties the log; numbering goes on.
  void clear() { entries_.clear(); }
  std::size_t size() const { return entries_.size(); }
  void set_max(std::size_t max_entries) { max_ = max_entries; }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

 private:
  std::size_t max_;
  std::uint64_t next_id_ = 1;
  std::deque<slot> entries_;
};

// Copies what every log keeps of a request line into `r` (fields time_ms, method, path, query).
template <class Record>
void copy_request_line(Record& r, const kit::http_request& req, std::int64_t time_ms) {
  r.time_ms = time_ms;
  r.method = req.method;
  r.path = req.path;
  r.query = req.query;
}

using name_filter = std::function<bool(std::string_view name)>;

// The request headers as {name: value}; a non-empty value of a header `is_secret` names is
// replaced by `mask`.
boost::json::object logged_headers(const kit::http_headers& headers, const name_filter& is_secret,
                                   std::string_view mask);

// A body of at most 64 KiB that parses as JSON, with the values of the top-level members
// `is_secret` names (if given) replaced by "***"; nullopt otherwise.
std::optional<boost::json::value> logged_json_body(std::string_view body,
                                                   const name_filter& is_secret = {});

// null for an empty body, else logged_json_body, else the text cut at `max_text` bytes.
boost::json::value logged_body(std::string_view body, std::size_t max_text,
                               const name_filter& is_secret = {});

}  // namespace patchbay::fakes::common
