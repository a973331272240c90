// `patchbay chat [--url URL] [--token TOKEN] [--thread ID] [--agent NAME] TEXT`: one turn through
// the host's API, streamed. Output text goes to stdout as it arrives; an error event goes to stderr
// and exits 1; `complete` exits 0; an unreachable host or a stream that ends without a terminal
// event exits 3.
#include <boost/json.hpp>

#include <cstdio>
#include <cstdlib>

#include "cli/commands.hpp"
#include "agents/sse_parser.hpp"
#include "patchbay/kit/http_client.hpp"

namespace patchbay::cli {
namespace json = boost::json;

int cmd_chat(const args& in) {
  std::string url, token, thread, agent, text;
  for (size_t i = 0; i < in.size(); ++i) {
    auto value = [&](std::string& out) {
      if (i + 1 >= in.size()) return false;
      out = in[++i];
      return true;
    };
    const std::string& a = in[i];
    bool ok = true;
    if (a == "--url") ok = value(url);
    else if (a == "--token") ok = value(token);
    else if (a == "--thread") ok = value(thread);
    else if (a == "--agent") ok = value(agent);
    else if (!a.empty() && a[0] == '-' && a != "-") {
      std::fprintf(stderr, "patchbay chat: unknown option %s\n", a.c_str());
      return 2;
    } else if (text.empty()) text = a;
    else {
      std::fprintf(stderr, "patchbay chat: give the message as one argument (quote it)\n");
      return 2;
    }
    if (!ok) {
      std::fprintf(stderr, "patchbay chat: %s needs a value\n", a.c_str());
      return 2;
    }
  }
  if (text.empty()) {
    std::fprintf(stderr, "usage: patchbay chat [--url URL] [--token TOKEN] [--thread ID] "
                         "[--agent NAME] TEXT\n");
    return 2;
  }
  if (url.empty() && std::getenv("PATCHBAY_URL")) url = std::getenv("PATCHBAY_URL");
  if (url.empty()) url = "http://127.0.0.1:8780";
  if (token.empty() && std::getenv("PATCHBAY_TOKEN")) token = std::getenv("PATCHBAY_TOKEN");
  while (!url.empty() && url.back() == '/') url.pop_back();

  json::object body{{"text", text}};
  if (!thread.empty()) body["thread"] = thread;
  if (!agent.empty()) body["agent"] = agent;
  kit::http_client_request req;
  req.method = "POST";
  req.url = url + "/v1/chat";
  req.body = json::serialize(body);
  req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("Accept", "text/event-stream");
  if (!token.empty()) req.headers.emplace_back("Authorization", "Bearer " + token);
  req.connect_timeout = std::chrono::seconds(5);
  req.first_byte_timeout = std::chrono::seconds(60);
  req.idle_timeout = std::chrono::seconds(60);  // the host sends a keep-alive every 15 s
  req.total_timeout = std::chrono::minutes(30);

  enum class end { none, complete, error } ending = end::none;
  bool printed = false, ended_with_newline = true;
  std::string error_body;
  agents::sse_parser parser([&](const std::string& name, const std::string& data) {
    json::error_code ec;
    json::value v = json::parse(data, ec);
    const json::object* o = !ec && v.is_object() ? &v.get_object() : nullptr;
    auto field = [&](const char* k) -> std::string {
      return o && o->contains(k) && o->at(k).is_string() ? std::string(o->at(k).get_string()) : "";
    };
    if (name == "output") {
      std::string t = field("text");
      if (o && o->contains("content") && printed && !ended_with_newline) t = "\n" + t;
      std::fwrite(t.data(), 1, t.size(), stdout);
      std::fflush(stdout);
      if (!t.empty()) {
        printed = true;
        ended_with_newline = t.back() == '\n';
      }
      return true;
    }
    if (name == "error") {
      if (printed && !ended_with_newline) std::fputc('\n', stdout);
      std::fflush(stdout);
      std::fprintf(stderr, "patchbay chat: %s\n", field("message").c_str());
      ending = end::error;
      return false;
    }
    if (name == "complete") {
      if (printed && !ended_with_newline) std::fputc('\n', stdout);
      ending = end::complete;
      return false;
    }
    return true;  // unknown events are skipped
  });
  req.on_body_chunk = [&](std::string_view piece) {
    // Keep the start of the body: a non-2xx answer is a JSON error, not an event stream.
    if (error_body.size() < 4096) error_body.append(piece.substr(0, 4096 - error_body.size()));
    return parser.feed(piece);
  };
  std::string err;
  kit::http_client_response resp;
  kit::http_fetch_blocking(req, err, resp);
  if (ending == end::complete) return 0;
  if (ending == end::error) return 1;
  if (!err.empty() && err != "aborted") {
    std::fprintf(stderr, "patchbay chat: cannot reach %s: %s\n", url.c_str(), err.c_str());
    return 3;
  }
  if (resp.status != 200) {
    // Error answers are JSON: {"error":{"code":"...","message":"..."}}.
    std::string message;
    json::error_code ec;
    json::value v = json::parse(error_body, ec);
    if (!ec && v.is_object() && v.as_object().contains("error") && v.at("error").is_object() &&
        v.at("error").as_object().contains("message") && v.at("error").at("message").is_string())
      message = std::string(v.at("error").at("message").get_string());
    std::fprintf(stderr, "patchbay chat: the host answered HTTP %u: %s%s\n", resp.status,
                 message.empty() ? "(no details)" : message.c_str(),
                 resp.status == 401 ? " (set --token or $PATCHBAY_TOKEN)" : "");
    return resp.status >= 500 ? 3 : 1;
  }
  std::fprintf(stderr, "patchbay chat: the stream ended without a terminal event\n");
  return 3;
}

}  // namespace patchbay::cli
