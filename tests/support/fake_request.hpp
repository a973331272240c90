// Small helpers the fake-server tests share (tests/fakes/*, tests/plugins/*/integration): a JSON
// object from an answer's text (a test failure when it is not one), a string member, and a
// kit::http_request built from a target as the kit HTTP server would hand it to a fake (for the
// fakes' socket-free unit tests). No sockets, no child process.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "patchbay/kit/http_types.hpp"

namespace pbfake {

// `text` as a JSON object; {} and a test failure when it is not one.
inline boost::json::object parse_object(const std::string& text) {
  boost::json::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) {
    ADD_FAILURE() << "not a JSON object: " << text.substr(0, 500);
    return {};
  }
  return std::move(v.get_object());
}

// The string member `key` of `o` ("" when absent or not a string).
inline std::string str(const boost::json::object& o, const char* key) {
  const auto* p = o.if_contains(key);
  return p && p->is_string() ? std::string(p->get_string()) : std::string();
}

// A request for `target` ("/path?query") from 127.0.0.1.
inline patchbay::kit::http_request make_request(std::string method, std::string target,
                                                std::string body = {},
                                                patchbay::kit::http_headers headers = {}) {
  patchbay::kit::http_request r;
  r.method = std::move(method);
  r.target = std::move(target);
  const auto q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.remote_address = "127.0.0.1:1";
  return r;
}

}  // namespace pbfake
