// patchbay-fake-feishu: every HTTP request (Open API, discovery, upgrades) and every WebSocket
// frame, in order, for GET /_fake/requests. Bounded (the oldest entries go first); frames are
// kept as small structs and only turned into JSON when asked, so logging thousands of frames per
// second stays cheap. The Authorization value and secrets in bodies are never recorded.
//
// Not thread-safe (owned by fake_feishu).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include "bounded_log.hpp"

namespace patchbay::fakes::feishu {

struct http_entry {
  std::string method, path, query;
  unsigned status = 0;
  std::optional<std::int64_t> code;  // the answer's "code"
  boost::json::value body;           // parsed JSON (secrets masked), else the text (cut)
};

struct frame_entry {
  std::uint64_t conn = 0;
  bool out = false;  // true: server → client
  std::int32_t method = 0;
  std::string type, message_id;
  std::string sum, seq;
  std::size_t payload_size = 0;
};

class wire_log {
 public:
  explicit wire_log(std::size_t max_entries = 20'000) : entries_(max_entries) {}
  // Records a request; the answer is filled in with answered() (by index returned).
  std::uint64_t add_http(std::int64_t time_ms, std::string method, std::string path,
                         std::string query, std::string_view body);
  void answered(std::uint64_t id, unsigned status, std::optional<std::int64_t> code);
  void add_frame(std::int64_t time_ms, frame_entry f);
  boost::json::array to_json() const;
  void clear() { entries_.clear(); }
  std::size_t size() const { return entries_.size(); }

 private:
  struct entry {
    std::int64_t time_ms = 0;
    bool is_frame = false;
    http_entry http;
    frame_entry frame;
  };
  common::bounded_log<entry> entries_;
};

}  // namespace patchbay::fakes::feishu
