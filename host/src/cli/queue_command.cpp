// `patchbay queue list|retry ID|drop ID [--json] [--url URL] [--token TOKEN]`: the durable
// outbound queue of a running host (GET /v1/queue, POST /v1/queue/<id>/retry|drop). `list`
// prints one row per op (id, channel, kind, state, age, attempts, last error, text cut short);
// --json prints the answer as it came. Exit 0 on success; 1 when the host refused (unknown id,
// not a dead letter, in flight; the reason is printed); 2 usage error; 3 host unreachable.
#include <boost/json.hpp>

#include <cstdio>

#include "cli/api_endpoint.hpp"
#include "cli/commands.hpp"
#include "patchbay/kit/http_client.hpp"

namespace patchbay::cli {
namespace json = boost::json;

namespace {

constexpr const char* usage =
    "usage: patchbay queue list [--json] [--url URL] [--token TOKEN]\n"
    "       patchbay queue retry ID [--url URL] [--token TOKEN]\n"
    "       patchbay queue drop ID [--url URL] [--token TOKEN]\n";

struct queue_args {
  std::string action, id, url, token;
  bool as_json = false;
};

int parse(const args& in, queue_args& q) {
  std::vector<std::string> positional;
  for (size_t i = 0; i < in.size(); ++i) {
    const std::string& a = in[i];
    if (a == "--json") {
      q.as_json = true;
    } else if (a == "--url" || a == "--token") {
      if (i + 1 >= in.size()) {
        std::fprintf(stderr, "patchbay queue: %s needs a value\n%s", a.c_str(), usage);
        return 2;
      }
      (a == "--url" ? q.url : q.token) = in[++i];
    } else if (a.rfind("--url=", 0) == 0) {
      q.url = a.substr(6);
    } else if (a.rfind("--token=", 0) == 0) {
      q.token = a.substr(8);
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "patchbay queue: unknown option %s\n%s", a.c_str(), usage);
      return 2;
    } else {
      positional.push_back(a);
    }
  }
  if (positional.empty()) {
    std::fprintf(stderr, "patchbay queue: what to do? (list, retry ID, drop ID)\n%s", usage);
    return 2;
  }
  q.action = positional[0];
  bool wants_id = q.action == "retry" || q.action == "drop";
  if ((q.action != "list" && !wants_id) || positional.size() != (wants_id ? 2U : 1U) ||
      (wants_id && positional[1].find_first_not_of("0123456789") != std::string::npos)) {
    std::fprintf(stderr, "patchbay queue: bad arguments\n%s", usage);
    return 2;
  }
  if (wants_id) q.id = positional[1];
  return 0;
}

std::string text_at(const json::object& o, const char* k) {
  const auto* v = o.if_contains(k);
  if (v == nullptr) return {};
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_number()) return std::to_string(v->to_number<int64_t>());
  return {};
}

std::string age(int64_t ms) {
  if (ms < 1000) return std::to_string(ms) + "ms";
  if (ms < 120'000) return std::to_string(ms / 1000) + "s";
  if (ms < 7'200'000) return std::to_string(ms / 60'000) + "m";
  return std::to_string(ms / 3'600'000) + "h";
}

int print_list(const json::object& v) {
  const auto* ops = v.if_contains("ops");
  if (ops == nullptr || !ops->is_array()) throw std::runtime_error("no ops in the answer");
  if (ops->as_array().empty()) {
    std::printf("the outbound queue is empty\n");
    return 0;
  }
  std::printf("%-8s %-16s %-11s %-9s %-6s %-8s %s\n", "ID", "CHANNEL", "KIND", "STATE", "AGE",
              "ATTEMPTS", "TEXT");
  for (const auto& x : ops->as_array()) {
    const auto& o = x.as_object();
    const auto* a = o.if_contains("age_ms");
    std::printf("%-8s %-16s %-11s %-9s %-6s %-8s %s\n", text_at(o, "id").c_str(),
                text_at(o, "channel").c_str(), text_at(o, "kind").c_str(),
                text_at(o, "state").c_str(),
                age(a && a->is_number() ? a->to_number<int64_t>() : 0).c_str(),
                text_at(o, "attempts").c_str(), text_at(o, "text").c_str());
    std::string err = text_at(o, "last_error");
    if (!err.empty()) std::printf("         last error: %s\n", err.c_str());
  }
  return 0;
}

}  // namespace

int cmd_queue(const args& in) {
  queue_args q;
  if (int rc = parse(in, q); rc != 0) return rc;
  apply_endpoint_defaults(q.url, q.token);
  kit::http_client_request req;
  req.method = q.action == "list" ? "GET" : "POST";
  req.url = q.url + "/v1/queue" + (q.action == "list" ? "" : "/" + q.id + "/" + q.action);
  if (!q.token.empty()) req.headers.emplace_back("Authorization", "Bearer " + q.token);
  req.connect_timeout = std::chrono::seconds(5);
  req.total_timeout = std::chrono::seconds(20);
  std::string err;
  kit::http_client_response resp;
  kit::http_fetch_blocking(req, err, resp);
  if (!err.empty()) {
    std::fprintf(stderr, "patchbay queue: cannot reach %s: %s\n", q.url.c_str(), err.c_str());
    return 3;
  }
  if (resp.status != 200) {
    const std::string message = error_answer_message(resp.body);
    std::fprintf(stderr, "patchbay queue: the host answered HTTP %u: %s%s\n", resp.status,
                 message.empty() ? "(no details)" : message.c_str(),
                 resp.status == 401 ? " (set --token or $PATCHBAY_TOKEN)" : "");
    return 1;
  }
  if (q.action != "list") {
    std::printf("op %s: %s\n", q.id.c_str(), q.action == "retry" ? "queued again" : "dropped");
    return 0;
  }
  if (q.as_json) {
    std::printf("%s\n", resp.body.c_str());
    return 0;
  }
  try {
    json::value v = json::parse(resp.body);
    return print_list(v.as_object());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "patchbay queue: unexpected answer from %s: %s\n", q.url.c_str(),
                 e.what());
    return 1;
  }
}

}  // namespace patchbay::cli
