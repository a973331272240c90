// patchbay kit: plain HTTP message types shared by the server and the client. No Asio, no Beast.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace patchbay::kit {

using http_headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive header lookup; returns "" when absent.
std::string_view find_header(const http_headers& headers, std::string_view name);

struct http_request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path plus optional ?query
  std::string path;    // target without the query, percent-decoding NOT applied
  std::string query;   // after '?', without it; "" when absent
  http_headers headers;
  std::string body;
  std::string remote_address;  // "127.0.0.1:54321"

  std::string_view header(std::string_view name) const { return find_header(headers, name); }
};

struct http_response {
  unsigned status = 200;
  std::string content_type = "application/json";
  http_headers headers;
  std::string body;
  // Server only: when set, the body is this file's content instead of `body`, read from disk in
  // small chunks as the peer takes them (never the whole file in memory), with Content-Length set
  // to its size when it is opened (at write time; an open file stays readable if it is removed
  // meanwhile). A file that cannot be opened then is answered 404 instead.
  std::string body_file;
};

}  // namespace patchbay::kit
