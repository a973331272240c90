// `patchbay reload [--url URL] [--token TOKEN]`: asks a running host to re-read its configuration
// (POST /v1/reload) and prints what changed. Exit 0 when the new configuration was applied and
// every channel it enables runs; 1 when it was refused (its errors are printed; the host keeps
// the running configuration), when a channel did not start, or on any other answer; 2 usage
// error; 3 host unreachable.
#include <boost/json.hpp>

#include <cstdio>

#include "cli/api_endpoint.hpp"
#include "cli/commands.hpp"
#include "patchbay/kit/http_client.hpp"

namespace patchbay::cli {
namespace json = boost::json;

namespace {

// Fills url/token from `--url V`, `--url=V`, `--token V`, `--token=V`. Returns 0 or 2 (said why).
int parse_reload_args(const args& in, std::string& url, std::string& token) {
  for (size_t i = 0; i < in.size(); ++i) {
    const std::string& a = in[i];
    std::string* into = nullptr;
    std::string value;
    for (auto [name, target] : {std::pair{"--url", &url}, std::pair{"--token", &token}}) {
      const std::string n = name;
      if (a == n) {
        if (i + 1 >= in.size()) {
          std::fprintf(stderr, "patchbay reload: %s needs a value\n", name);
          return 2;
        }
        into = target;
        value = in[++i];
      } else if (a.rfind(n + "=", 0) == 0) {
        into = target;
        value = a.substr(n.size() + 1);
      }
    }
    if (into == nullptr) {
      std::fprintf(stderr,
                   "patchbay reload: unexpected argument %s\nusage: patchbay reload [--url URL] "
                   "[--token TOKEN]\n",
                   a.c_str());
      return 2;
    }
    *into = value;
  }
  return 0;
}

std::string joined(const json::object& o, const char* key) {
  std::string s;
  if (const auto* a = o.if_contains(key); a && a->is_array())
    for (const auto& v : a->as_array())
      if (v.is_string()) s += (s.empty() ? "" : ", ") + std::string(v.get_string());
  return s;
}

// Prints "<label> <id>: <reason>" for each entry of an array of {"id","reason"}; returns how many.
size_t print_reasons(const json::object& o, const char* key, const char* label) {
  size_t n = 0;
  if (const auto* a = o.if_contains(key); a && a->is_array())
    for (const auto& v : a->as_array()) {
      if (!v.is_object()) continue;
      const auto& e = v.as_object();
      auto text = [&](const char* k) {
        const auto* x = e.if_contains(k);
        return x && x->is_string() ? std::string(x->get_string()) : std::string();
      };
      std::printf("  %-16s %s: %s\n", label, text("id").c_str(), text("reason").c_str());
      ++n;
    }
  return n;
}

// The applied reload's report; returns the exit code (1 when a channel is not running).
int print_applied(const json::object& v) {
  const auto& ch = v.at("channels").as_object();
  const auto& ag = v.at("agents").as_object();
  const auto& st = v.at("settings").as_object();
  std::printf("configuration reloaded\n");
  auto line = [](const char* label, const std::string& list, bool always) {
    if (always || !list.empty())
      std::printf("  %-16s %s\n", label, list.empty() ? "-" : list.c_str());
  };
  line("added:", joined(ch, "added"), true);
  line("removed:", joined(ch, "removed"), true);
  line("restarted:", joined(ch, "restarted"), true);
  line("unchanged:", joined(ch, "unchanged"), true);
  line("retried:", joined(ch, "retried"), false);
  line("agents added:", joined(ag, "added"), false);
  line("agents changed:", joined(ag, "changed"), false);
  line("agents removed:", joined(ag, "removed"), false);
  line("settings:", joined(st, "applied"), false);
  const std::string restart = joined(st, "needs_restart");
  if (!restart.empty())
    std::printf("  %-16s %s (restart the host to apply)\n", "needs restart:", restart.c_str());
  const size_t kept = print_reasons(ch, "kept", "kept as before:");
  const size_t failed = print_reasons(ch, "failed", "not running:");
  return kept + failed == 0 ? 0 : 1;
}

}  // namespace

int cmd_reload(const args& in) {
  std::string url, token;
  if (int rc = parse_reload_args(in, url, token); rc != 0) return rc;
  apply_endpoint_defaults(url, token);
  kit::http_client_request req;
  req.method = "POST";
  req.url = url + "/v1/reload";
  if (!token.empty()) req.headers.emplace_back("Authorization", "Bearer " + token);
  req.connect_timeout = std::chrono::seconds(5);
  // The host answers within its own 60 s wait (504 past it); this covers the transport.
  req.first_byte_timeout = req.idle_timeout = std::chrono::seconds(75);
  req.total_timeout = std::chrono::seconds(80);
  std::string err;
  kit::http_client_response resp;
  kit::http_fetch_blocking(req, err, resp);
  if (!err.empty()) {
    std::fprintf(stderr, "patchbay reload: cannot reach %s: %s\n", url.c_str(), err.c_str());
    return 3;
  }
  json::error_code ec;
  json::value v = json::parse(resp.body, ec);
  if (resp.status == 200 && !ec && v.is_object()) {
    try {
      return print_applied(v.as_object());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "patchbay reload: unexpected answer from %s: %s\n", url.c_str(),
                   e.what());
      return 1;
    }
  }
  const std::string message = error_answer_message(resp.body);
  std::fprintf(stderr, "patchbay reload: the host answered HTTP %u: %s%s\n", resp.status,
               message.empty() ? "(no details)" : message.c_str(),
               resp.status == 401 ? " (set --token or $PATCHBAY_TOKEN)" : "");
  if (resp.status == 422 && !ec && v.is_object())
    if (const auto* errors = v.as_object().if_contains("errors"); errors && errors->is_array())
      for (const auto& e : errors->as_array())
        if (e.is_string()) std::fprintf(stderr, "%s\n", std::string(e.get_string()).c_str());
  return 1;
}

}  // namespace patchbay::cli
