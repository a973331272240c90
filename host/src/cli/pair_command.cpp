// `patchbay pair list|approve CODE|revoke CHANNEL SENDER [--url URL] [--token TOKEN]`: the
// pairing API of a running host (GET /v1/pairings, POST /v1/pairings/approve|revoke; see
// api/pairing_routes.hpp). Exit 0 done; 1 refused (unknown code, nothing to revoke, bad token);
// 2 usage error; 3 host unreachable.
#include <boost/json.hpp>

#include <cstdio>

#include "cli/api_endpoint.hpp"
#include "cli/commands.hpp"
#include "patchbay/kit/http_client.hpp"

namespace patchbay::cli {
namespace json = boost::json;

namespace {

constexpr const char* usage =
    "usage: patchbay pair list | approve CODE | revoke CHANNEL SENDER [--url URL] [--token T]\n";

std::string str(const json::object& o, const char* k) {
  const auto* v = o.if_contains(k);
  if (v == nullptr) return "";
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  return "";
}

void print_list(const json::object& o) {
  std::printf("pending codes:\n");
  if (const auto* p = o.if_contains("pending"); p && p->is_array())
    for (const auto& e : p->as_array())
      if (e.is_object())
        std::printf("  %-10s %-20s %s (expires at %s)\n", str(e.as_object(), "code").c_str(),
                    str(e.as_object(), "channel").c_str(), str(e.as_object(), "sender").c_str(),
                    str(e.as_object(), "expires_at").c_str());
  std::printf("approved senders:\n");
  if (const auto* a = o.if_contains("approved"); a && a->is_array())
    for (const auto& e : a->as_array())
      if (e.is_object())
        std::printf("  %-20s %s\n", str(e.as_object(), "channel").c_str(),
                    str(e.as_object(), "sender").c_str());
}

}  // namespace

int cmd_pair(const args& in) {
  std::string url, token;
  args words;
  for (size_t i = 0; i < in.size(); ++i) {
    const std::string& a = in[i];
    if ((a == "--url" || a == "--token") && i + 1 < in.size()) {
      (a == "--url" ? url : token) = in[++i];
    } else if (a.rfind("--url=", 0) == 0) {
      url = a.substr(6);
    } else if (a.rfind("--token=", 0) == 0) {
      token = a.substr(8);
    } else if (a.rfind("--", 0) == 0) {
      std::fprintf(stderr, "patchbay pair: unexpected option %s\n%s", a.c_str(), usage);
      return 2;
    } else {
      words.push_back(a);
    }
  }
  kit::http_client_request req;
  if (words.size() == 1 && words[0] == "list") {
    req.method = "GET";
    req.url = "/v1/pairings";
  } else if (words.size() == 2 && words[0] == "approve") {
    req.method = "POST";
    req.url = "/v1/pairings/approve";
    req.body = json::serialize(json::object{{"code", words[1]}});
  } else if (words.size() == 3 && words[0] == "revoke") {
    req.method = "POST";
    req.url = "/v1/pairings/revoke";
    req.body = json::serialize(json::object{{"channel", words[1]}, {"sender", words[2]}});
  } else {
    std::fputs(usage, stderr);
    return 2;
  }
  apply_endpoint_defaults(url, token);
  req.url = url + req.url;
  if (!token.empty()) req.headers.emplace_back("Authorization", "Bearer " + token);
  if (!req.body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  req.connect_timeout = std::chrono::seconds(5);
  req.total_timeout = std::chrono::seconds(15);
  std::string err;
  kit::http_client_response resp;
  kit::http_fetch_blocking(req, err, resp);
  if (!err.empty()) {
    std::fprintf(stderr, "patchbay pair: cannot reach %s: %s\n", url.c_str(), err.c_str());
    return 3;
  }
  json::error_code ec;
  json::value v = json::parse(resp.body, ec);
  if (resp.status == 200 && !ec && v.is_object()) {
    const auto& o = v.as_object();
    if (words[0] == "list") {
      print_list(o);
    } else {
      const char* key = words[0] == "approve" ? "approved" : "revoked";
      const auto* r = o.if_contains(key);
      if (r != nullptr && r->is_object())
        std::printf("%s: channel %s, sender %s\n", key, str(r->as_object(), "channel").c_str(),
                    str(r->as_object(), "sender").c_str());
    }
    return 0;
  }
  const std::string message = error_answer_message(resp.body);
  std::fprintf(stderr, "patchbay pair: the host answered HTTP %u: %s%s\n", resp.status,
               message.empty() ? "(no details)" : message.c_str(),
               resp.status == 401 ? " (set --token or $PATCHBAY_TOKEN)" : "");
  return 1;
}

}  // namespace patchbay::cli
