// The `callback` agent backend (docs/architecture.md §6): for agents that work for minutes and
// answer later. Each turn is one POST of the turn's request JSON (as the `http` backend sends it)
// plus `"callback": {"url": "<public_url>/v1/turns/<turn>/responses", "token": "<per-turn
// token>"}`; the agent answers 2xx (202 expected) at once, and later posts its thread_response
// payloads to that URL with `Authorization: Bearer <token>` (api/turn_responses_route.hpp). The
// turn waits in the host's turn_callbacks registry until a terminal payload, a cancel (timeout,
// /stop, client gone) or shutdown ends it; the token works exactly that long and is never logged.
//
// Options: url and public_url (required), headers (map; values may be secrets: never logged, and
// redacted from body excerpts), ca_file, accept_timeout_ms (the POST's deadline, default 10 s),
// answer_timeout_ms (the whole turn, default 30 min) and idle_timeout_ms (between the agent's
// payloads, default 10 min): the router enforces the last two (deadlines()) with its usual
// timeout notice.
//
// A non-2xx answer, a deadline or a connection error ends the turn with env.fail naming it (the
// status with a short redacted excerpt, like `http`). Threading: start/cancel/stop on the
// router's strand; the POST's callbacks on the kit's request strand; posts from the route on any
// thread. They share the call's atomic `cancelled`, the call registry and turn_callbacks (each
// thread-safe).
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "agents/agent_options.hpp"
#include "agents/backends.hpp"
#include "agents/running_requests.hpp"
#include "agents/stream_lines.hpp"
#include "agents/turn_callbacks.hpp"
#include "patchbay/common/log_subject.hpp"
#include "patchbay/common/url_encode.hpp"
#include "patchbay/kit/http_client.hpp"

namespace patchbay::agents {
namespace {

constexpr std::int64_t minute_ms = 60'000;
constexpr std::int64_t day_ms = 86'400'000;

struct callback_options {
  std::string url;
  std::string public_url;  // without a trailing '/'
  kit::http_headers headers;
  std::string ca_file;
  std::chrono::milliseconds accept_timeout{10'000};
  std::chrono::milliseconds answer_timeout{30 * minute_ms};
  std::chrono::milliseconds idle_timeout{10 * minute_ms};
  std::vector<std::string> secrets;  // the header values, redacted from excerpts
};

callback_options parse_callback_options(std::string_view options_json, std::string& error) {
  callback_options o;
  option_reader r(options_json, "callback agent");
  r.url("url", o.url, true);
  r.url("public_url", o.public_url, true);
  r.header_map("headers", o.headers);
  r.file("ca_file", o.ca_file);
  r.millis("accept_timeout_ms", o.accept_timeout, 1, 10 * minute_ms);
  r.millis("answer_timeout_ms", o.answer_timeout, 1, day_ms);
  r.millis("idle_timeout_ms", o.idle_timeout, 1, day_ms);
  error = r.finish();
  while (!o.public_url.empty() && o.public_url.back() == '/') o.public_url.pop_back();
  for (const auto& [name, value] : o.headers) o.secrets.push_back(value);
  return o;
}

// The POST handing one turn to the agent.
struct callback_call : http_call_base {
  using http_call_base::http_call_base;
  body_prefix raw{4 << 10};
};

class callback_agent final : public agent {
 public:
  callback_agent(callback_options opt, agent_env env)
      : opt_(std::make_shared<const callback_options>(std::move(opt))),
        env_(std::move(env)),
        calls_(std::make_shared<call_registry<callback_call>>(10'000)) {}

  turn_deadlines deadlines() const override {
    return {.idle = opt_->idle_timeout, .total = opt_->answer_timeout};
  }

  bool start(const std::string& turn_id, const std::string& request_json,
             std::string& error_text) override {
    boost::json::error_code ec;
    boost::json::value req = boost::json::parse(request_json, ec);
    if (ec || !req.is_object()) {
      error_text = "The agent could not be asked (an unreadable turn request).";
      return false;
    }
    auto call = std::make_shared<callback_call>(turn_id);
    if (calls_->admit(call) != call_registry<callback_call>::admission::ok) {
      error_text = "The agent is stopping; please ask again in a moment.";
      return false;
    }
    const std::string token = new_callback_token();
    req.as_object()["callback"] = {
        {"url", opt_->public_url + "/v1/turns/" + common::url_encode(turn_id) + "/responses"},
        {"token", token}};
    // Registered before the POST: an agent may post before its 202 arrives.
    env_.callbacks->add(turn_id, token, env_.deliver);
    send(call, boost::json::serialize(req));
    return true;
  }

  void cancel(const std::string& turn_id) override {
    calls_->cancel(turn_id);
    env_.callbacks->end(turn_id);
  }
  void stop() override { calls_->stop(); }

 private:
  void send(const std::shared_ptr<callback_call>& call, std::string body) {
    kit::http_client_request req;
    req.method = "POST";
    req.url = opt_->url;
    req.headers = opt_->headers;
    if (kit::find_header(req.headers, "Content-Type").empty())
      req.headers.emplace_back("Content-Type", "application/json");
    req.body = std::move(body);
    req.ca_file = opt_->ca_file;
    const http_deadlines d{.connect = opt_->accept_timeout,
                           .first_byte = opt_->accept_timeout,
                           .idle = opt_->accept_timeout,
                           .total = opt_->accept_timeout};
    prepare_request(d, *call, req);
    req.on_body_chunk = [call](std::string_view bytes) {
      call->raw.add(bytes);
      return !call->cancelled.load();
    };
    kit::http_fetch(
        *env_.rt, std::move(req),
        [call, opt = opt_, calls = calls_, cbs = env_.callbacks, fail = env_.fail,
         name = env_.name](const std::string& error, const kit::http_client_response& resp) {
          calls->finished(call);
          if (call->cancelled.load()) return;
          std::string problem = refusal(error, resp, *call, *opt);
          const auto tag = common::log_tag({.turn = call->turn_id});
          if (problem.empty()) {
            spdlog::debug("{}agent {} accepted the turn (HTTP {})", tag, name, resp.status);
            return;
          }
          if (classify_transport(error) == transport_failure::aborted) {
            cbs->end(call->turn_id);  // the runtime is stopping
            return;
          }
          spdlog::warn("{}agent {}: {}", tag, name, problem);
          cbs->end(call->turn_id);
          fail(call->turn_id, problem);
        });
  }

  // "" when the agent took the turn; else the user-facing reason.
  static std::string refusal(const std::string& error, const kit::http_client_response& resp,
                             const callback_call& call, const callback_options& opt) {
    if (error.empty() && is_success_status(resp.status)) return {};
    if (resp.status != 0 && !is_success_status(resp.status)) {
      std::string ex = excerpt(call.raw.text(), opt.secrets);
      return "the agent answered HTTP " + std::to_string(resp.status) +
             (ex.empty() ? "" : ": " + ex);
    }
    switch (classify_transport(error)) {
      case transport_failure::refused:
        return "the agent is unreachable (connection refused)";
      case transport_failure::connect_timeout:
      case transport_failure::first_byte_timeout:
      case transport_failure::idle_timeout:
      case transport_failure::total_timeout:
        return "the agent did not take the turn in time (no answer within " +
               describe_duration(opt.accept_timeout) + ")";
      case transport_failure::tls:
        return "the agent's TLS connection failed (" + error.substr(5) + ")";
      case transport_failure::unreachable:
        return "the agent is unreachable (" + error + ")";
      default:
        return "the request to the agent failed (" + error + ")";
    }
  }

  std::shared_ptr<const callback_options> opt_;
  agent_env env_;
  std::shared_ptr<call_registry<callback_call>> calls_;
};

}  // namespace

std::unique_ptr<agent> make_callback_agent(std::string_view options_json, agent_env env,
                                           std::string& error) {
  auto opt = parse_callback_options(options_json, error);
  if (!error.empty()) return nullptr;
  if (env.rt == nullptr || !env.callbacks) {
    error = "callback agent: this host serves no response route for it";
    return nullptr;
  }
  return std::make_unique<callback_agent>(std::move(opt), std::move(env));
}

}  // namespace patchbay::agents
