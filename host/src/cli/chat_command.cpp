// `patchbay chat [--url URL] [--token TOKEN] [--thread ID] [--agent NAME] TEXT`: one turn through
// the host's API, streamed. Output text goes to stdout as it arrives; an error event goes to stderr
// and exits 1; `complete` exits 0; an unreachable host or a stream that ends without a terminal
// event exits 3.
#include <boost/json.hpp>

#include <cstdio>

#include "agents/sse_parser.hpp"
#include "cli/api_endpoint.hpp"
#include "cli/commands.hpp"
#include "patchbay/kit/http_client.hpp"

namespace patchbay::cli {
namespace json = boost::json;

namespace {

struct chat_options {
  std::string url, token, thread, agent, text;
};

// Fills `o` from the arguments. Returns 0, or the exit code (2) after saying what is wrong.
int parse_chat_args(const args& in, chat_options& o) {
  for (size_t i = 0; i < in.size(); ++i) {
    auto value = [&](std::string& out) {
      if (i + 1 >= in.size()) return false;
      out = in[++i];
      return true;
    };
    const std::string& a = in[i];
    bool ok = true;
    if (a == "--url") {
      ok = value(o.url);
    } else if (a == "--token") {
      ok = value(o.token);
    } else if (a == "--thread") {
      ok = value(o.thread);
    } else if (a == "--agent") {
      ok = value(o.agent);
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      std::fprintf(stderr, "patchbay chat: unknown option %s\n", a.c_str());
      return 2;
    } else if (o.text.empty()) {
      o.text = a;
    } else {
      std::fprintf(stderr, "patchbay chat: give the message as one argument (quote it)\n");
      return 2;
    }
    if (!ok) {
      std::fprintf(stderr, "patchbay chat: %s needs a value\n", a.c_str());
      return 2;
    }
  }
  if (o.text.empty()) {
    std::fprintf(stderr,
                 "usage: patchbay chat [--url URL] [--token TOKEN] [--thread ID] "
                 "[--agent NAME] TEXT\n");
    return 2;
  }
  return 0;
}

kit::http_client_request make_chat_request(const chat_options& o) {
  json::object body{{"text", o.text}};
  if (!o.thread.empty()) body["thread"] = o.thread;
  if (!o.agent.empty()) body["agent"] = o.agent;
  kit::http_client_request req;
  req.method = "POST";
  req.url = o.url + "/v1/chat";
  req.body = json::serialize(body);
  req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("Accept", "text/event-stream");
  if (!o.token.empty()) req.headers.emplace_back("Authorization", "Bearer " + o.token);
  req.connect_timeout = std::chrono::seconds(5);
  req.first_byte_timeout = std::chrono::seconds(60);
  req.idle_timeout = std::chrono::seconds(60);  // the host sends a keep-alive every 15 s
  req.total_timeout = std::chrono::minutes(30);
  return req;
}

enum class chat_end { none, complete, error };

// Prints the turn's events as they arrive: output text to stdout, an error to stderr.
class chat_printer {
 public:
  // For agents::sse_parser: false once a terminal event (complete, error) has arrived.
  bool on_event(const std::string& name, const std::string& data) {
    json::error_code ec;
    json::value v = json::parse(data, ec);
    const json::object* o = !ec && v.is_object() ? &v.get_object() : nullptr;
    auto field = [&](const char* k) -> std::string {
      return o && o->contains(k) && o->at(k).is_string() ? std::string(o->at(k).get_string()) : "";
    };
    if (name == "output") {
      std::string t = field("text");
      if (o && o->contains("content") && printed_ && !ended_with_newline_) t = "\n" + t;
      std::fwrite(t.data(), 1, t.size(), stdout);
      std::fflush(stdout);
      if (!t.empty()) {
        printed_ = true;
        ended_with_newline_ = t.back() == '\n';
      }
      return true;
    }
    if (name == "error") {
      if (printed_ && !ended_with_newline_) std::fputc('\n', stdout);
      std::fflush(stdout);
      std::fprintf(stderr, "patchbay chat: %s\n", field("message").c_str());
      ending_ = chat_end::error;
      return false;
    }
    if (name == "complete") {
      if (printed_ && !ended_with_newline_) std::fputc('\n', stdout);
      ending_ = chat_end::complete;
      return false;
    }
    return true;  // unknown events are skipped
  }

  chat_end ending() const { return ending_; }

 private:
  chat_end ending_ = chat_end::none;
  bool printed_ = false, ended_with_newline_ = true;
};

// The exit code once the request is over, after saying what went wrong if anything did.
int chat_exit_code(chat_end ending, const std::string& url, const std::string& err,
                   const kit::http_client_response& resp, const std::string& error_body) {
  if (ending == chat_end::complete) return 0;
  if (ending == chat_end::error) return 1;
  if (!err.empty() && err != "aborted") {
    std::fprintf(stderr, "patchbay chat: cannot reach %s: %s\n", url.c_str(), err.c_str());
    return 3;
  }
  if (resp.status != 200) {
    const std::string message = error_answer_message(error_body);
    std::fprintf(stderr, "patchbay chat: the host answered HTTP %u: %s%s\n", resp.status,
                 message.empty() ? "(no details)" : message.c_str(),
                 resp.status == 401 ? " (set --token or $PATCHBAY_TOKEN)" : "");
    return resp.status >= 500 ? 3 : 1;
  }
  std::fprintf(stderr, "patchbay chat: the stream ended without a terminal event\n");
  return 3;
}

}  // namespace

int cmd_chat(const args& in) {
  chat_options o;
  if (int rc = parse_chat_args(in, o); rc != 0) return rc;
  apply_endpoint_defaults(o.url, o.token);
  kit::http_client_request req = make_chat_request(o);

  chat_printer printer;
  agents::sse_parser parser([&](const std::string& name, const std::string& data) {
    return printer.on_event(name, data);
  });
  std::string error_body;
  req.on_body_chunk = [&](std::string_view piece) {
    // Keep the start of the body: a non-2xx answer is a JSON error, not an event stream.
    if (error_body.size() < 4096) error_body.append(piece.substr(0, 4096 - error_body.size()));
    return parser.feed(piece);
  };
  std::string err;
  kit::http_client_response resp;
  kit::http_fetch_blocking(req, err, resp);
  return chat_exit_code(printer.ending(), o.url, err, resp, error_body);
}

}  // namespace patchbay::cli
