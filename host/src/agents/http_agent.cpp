// The `http` agent backend (docs/architecture.md §6): each turn is one POST of the turn's request
// JSON to the configured URL; the answer body is a stream of thread_response payloads (NDJSON or
// SSE, see http_agent_decoder.hpp), relayed as they arrive.
//
// Options: url (required), headers (map; values may be secrets: never logged, and redacted from
// body excerpts), ca_file, connect/first_byte/idle/total_timeout_ms, max_in_flight, auth
// (`user_identity`: "Authorization: Bearer <the asking user's access token>" from identity
// bindings replaces any configured Authorization header; a user without one is told why and no
// request is made).
//
// Every turn ends with exactly one terminal: the agent's own error/done, or env.fail with a text
// naming what went wrong (HTTP status + a short body excerpt, a deadline, the stream ending
// without a terminal). Cancel and stop() abort the request (its next body chunk returns false)
// and notify nothing.
//
// Threading: start/cancel/stop run on the router's strand; a request's callbacks (body chunks,
// then done) run one after another on the kit's request strand. They share only the call's
// atomic `cancelled` flag and the agent's call_registry.
#include <atomic>

#include <spdlog/spdlog.h>

#include "agents/agent_options.hpp"
#include "agents/backends.hpp"
#include "agents/http_agent_decoder.hpp"
#include "agents/running_requests.hpp"
#include "agents/stream_lines.hpp"
#include "patchbay/common/log_subject.hpp"
#include "patchbay/kit/http_client.hpp"
#include "turns/thread_response.hpp"

namespace patchbay::agents {
namespace {

struct http_options {
  std::string url;
  kit::http_headers headers;
  std::string ca_file;
  http_deadlines deadlines;
  std::int64_t max_in_flight = 64;
  bool user_identity = false;
  std::vector<std::string> secrets;  // the header values, redacted from excerpts
};

http_options parse_http_options(std::string_view options_json, std::string& error) {
  http_options o;
  option_reader r(options_json, "http agent");
  r.url("url", o.url, true);
  r.header_map("headers", o.headers);
  r.file("ca_file", o.ca_file);
  read_deadlines(r, o.deadlines);
  r.integer("max_in_flight", o.max_in_flight, 1, 10'000);
  std::string auth;
  r.text("auth", auth);
  error = r.finish();
  if (auth == "user_identity")
    o.user_identity = true;
  else if (!auth.empty() && auth != "headers")
    error += std::string(error.empty() ? "" : "; ") +
             "http agent: option 'auth' must be headers or user_identity";
  for (const auto& [name, value] : o.headers) o.secrets.push_back(value);
  return o;
}

// One request answering one turn.
struct http_call : http_call_base {
  http_call(std::string id, const agent_env& env)
      : http_call_base(std::move(id)),
        agent_name(env.name),
        deliver(env.deliver),
        fail(env.fail),
        decoder(turn_id, [this](std::string payload) {
          if (!cancelled.load()) deliver(std::move(payload));
        }) {}

  // On the request strand. False stops reading (the kit then ends the request as "aborted").
  bool on_chunk(std::string_view bytes) {
    if (cancelled.load()) return false;
    raw.add(bytes);
    return decoder.feed(bytes);
  }

  // On the request strand, once.
  void on_done(const std::string& error, const kit::http_client_response& resp,
               const http_options& opt) {
    if (cancelled.load() || decoder.terminal_sent()) return;
    const auto kind = classify_transport(error);
    if (resp.status != 0 && !is_success_status(resp.status)) {
      auto secrets = opt.secrets;
      if (!bearer.empty()) secrets.push_back(bearer);
      std::string ex = excerpt(raw.text(), secrets);
      spdlog::warn("{}agent {}: the agent answered HTTP {}: {}", common::log_tag({.turn = turn_id}),
                   agent_name, resp.status, ex.empty() ? "(empty body)" : ex);
      return end("the agent answered HTTP " + std::to_string(resp.status) +
                 (ex.empty() ? "" : ": " + ex));
    }
    if (kind == transport_failure::none) decoder.end();  // a last line without "\n"
    if (decoder.terminal_sent() || cancelled.load()) return;
    if (!decoder.problem().empty())
      return end("the agent's answer could not be read: " + decoder.problem());
    switch (kind) {
      case transport_failure::none:
      case transport_failure::closed_early:
        return end("the agent's answer ended without finishing");
      case transport_failure::aborted:
        return;  // the runtime is stopping: the turn service ends the turn itself
      case transport_failure::connect_timeout:
        return end("the agent could not be reached in time (no connection within " +
                   describe_duration(opt.deadlines.connect) + ")");
      case transport_failure::refused:
        return end("the agent is unreachable (connection refused)");
      case transport_failure::unreachable:
        return end("the agent is unreachable (" + error + ")");
      case transport_failure::tls:
        return end("the agent's TLS connection failed (" + error.substr(5) + ")");
      case transport_failure::first_byte_timeout:
        return end("the agent did not start answering in time (nothing within " +
                   describe_duration(opt.deadlines.first_byte) + ")");
      case transport_failure::idle_timeout:
        return end("the agent stopped answering (nothing received for " +
                   describe_duration(opt.deadlines.idle) + ")");
      case transport_failure::total_timeout:
        return end("the agent's answer took too long (over " +
                   describe_duration(opt.deadlines.total) + ")");
      case transport_failure::other:
        return end("the request to the agent failed (" + error + ")");
    }
  }

  void end(const std::string& text) {
    if (text.rfind("the agent answered HTTP", 0) != 0)
      spdlog::warn("{}agent {}: {}", common::log_tag({.turn = turn_id}), agent_name, text);
    fail(turn_id, text);
  }

  const std::string agent_name;
  const std::function<void(std::string)> deliver;
  const std::function<void(std::string, std::string)> fail;
  std::string bearer;  // auth: user_identity — this turn's user token (a secret)
  body_prefix raw{4 << 10};
  answer_decoder decoder;
};

class http_agent final : public agent {
 public:
  http_agent(http_options opt, agent_env env)
      : opt_(std::make_shared<const http_options>(std::move(opt))),
        env_(std::move(env)),
        calls_(std::make_shared<call_registry<http_call>>(
            static_cast<std::size_t>(opt_->max_in_flight))) {}

  bool at_capacity() const override { return calls_->full(); }
  bool start(const std::string& turn_id, const std::string& request_json,
             std::string& error_text) override {
    auto call = std::make_shared<http_call>(turn_id, env_);
    switch (calls_->admit(call)) {
      case call_registry<http_call>::admission::ok:
        break;
      case call_registry<http_call>::admission::stopped:
        error_text = "The agent is stopping; please ask again in a moment.";
        return false;
      case call_registry<http_call>::admission::busy:
        error_text = "The agent is busy (too many requests at once); please try again shortly.";
        return false;
    }
    if (!opt_->user_identity) {
      send(*env_.rt, opt_, calls_, call, request_json);
      return true;
    }
    if (!user_tokens_or_refuse(env_.user_token, *calls_, call, error_text)) return false;
    env_.user_token(request_json, [rt = env_.rt, opt = opt_, calls = calls_, call, request_json,
                                   deliver = env_.deliver](user_token_result r) {
      if (call->cancelled.load()) return calls->finished(call);
      if (!r.ok) {
        calls->finished(call);
        if (!r.notice) return call->fail(call->turn_id, r.user_text);
        turns::thread_response resp;
        resp.turn = call->turn_id;
        resp.content = std::move(r.user_text);
        resp.done = true;
        return deliver(turns::to_json(resp));
      }
      call->bearer = std::move(r.token);
      send(*rt, opt, calls, call, request_json);
    });
    return true;
  }

  static void send(kit::io_runtime& rt, const std::shared_ptr<const http_options>& opt,
                   const std::shared_ptr<call_registry<http_call>>& calls,
                   const std::shared_ptr<http_call>& call, const std::string& request_json) {
    kit::http_client_request req;
    req.method = "POST";
    req.url = opt->url;
    req.headers = opt->headers;
    if (!call->bearer.empty()) {
      std::erase_if(req.headers, [](const auto& h) {
        return !kit::find_header(kit::http_headers{h}, "Authorization").empty();
      });
      req.headers.emplace_back("Authorization", "Bearer " + call->bearer);
    }
    if (kit::find_header(req.headers, "Content-Type").empty())
      req.headers.emplace_back("Content-Type", "application/json");
    if (kit::find_header(req.headers, "Accept").empty())
      req.headers.emplace_back("Accept", "application/x-ndjson, text/event-stream");
    req.body = request_json;
    req.ca_file = opt->ca_file;
    prepare_request(opt->deadlines, *call, req);
    req.on_body_chunk = [call](std::string_view bytes) { return call->on_chunk(bytes); };
    // `done` may run before http_fetch returns (runtime stopping): the call is admitted above.
    kit::http_fetch(
        rt, std::move(req),
        [call, opt, calls](const std::string& error, const kit::http_client_response& resp) {
          call->on_done(error, resp, *opt);
          calls->finished(call);
        });
  }

  void cancel(const std::string& turn_id) override { calls_->cancel(turn_id); }
  void stop() override { calls_->stop(); }

 private:
  std::shared_ptr<const http_options> opt_;
  agent_env env_;
  std::shared_ptr<call_registry<http_call>> calls_;
};

}  // namespace

std::unique_ptr<agent> make_http_agent(std::string_view options_json, agent_env env,
                                       std::string& error) {
  auto opt = parse_http_options(options_json, error);
  if (!error.empty()) return nullptr;
  if (env.rt == nullptr) {
    error = "http agent: no I/O runtime";
    return nullptr;
  }
  return std::make_unique<http_agent>(std::move(opt), std::move(env));
}

}  // namespace patchbay::agents
