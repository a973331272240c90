// The `openai` agent backend (docs/architecture.md §6): any OpenAI-compatible
// POST {base_url}/chat/completions with stream:true. Messages = system prompt + the thread's
// history (state store, instance "agent:<name>", key = thread key) + the user's text (with
// `images: true` also the turn's images as image_url parts, read through the host's media service,
// env.read_media; an image that cannot be read stays a line of the text); streamed
// `choices[0].delta.content` become deltas, a finish_reason or `data: [DONE]` completes the turn,
// and only then is the exchange appended to the history (bounded, oldest dropped).
//
// Failures become classified user-facing texts (openai_agent_protocol.hpp); the operator log
// gets the status, the request id header and a redacted body excerpt. The API key is sent only as
// "Authorization: Bearer" and never appears in a log line or an error text. With
// `auth: user_identity` the Bearer credential is instead the asking user's own short-lived access
// token (identity bindings, env.user_token), never the api_key; a user without one is told why
// (e.g. to /init) and no request is made.
//
// Threading: start/cancel/stop run on the router's strand; a request's callbacks (body chunks,
// then done) run one after another on the kit's request strand. They share only the call's
// atomic `cancelled` flag and the agent's call_registry.
#include <atomic>
#include <mutex>
#include <optional>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "agents/backends.hpp"
#include "agents/openai_agent_protocol.hpp"
#include "agents/running_requests.hpp"
#include "agents/sse_parser.hpp"
#include "patchbay/common/log_subject.hpp"
#include "patchbay/kit/http_client.hpp"
#include "state/store.hpp"
#include "turns/thread_response.hpp"

namespace patchbay::agents {
namespace {

namespace json = boost::json;
namespace oa = openai;

constexpr std::size_t max_answer_bytes = 4 << 20;  // kept for the history; longer is cut off

// What start() reads from the turn's request JSON.
struct turn_input {
  std::string thread;
  std::string text;
  std::vector<oa::image_ref> image_refs;  // read only with `images: true`
};

turn_input read_turn(const std::string& request_json) {
  turn_input in;
  json::error_code ec;
  json::value v = json::parse(request_json, ec);
  if (ec || !v.is_object()) return in;
  if (auto* t = v.as_object().if_contains("thread"); t && t->is_string())
    in.thread = std::string(t->get_string());
  in.text = oa::user_text_of(request_json);  // the text, and a line per attachment
  in.image_refs = oa::image_refs_of(request_json);
  return in;
}

// One request answering one turn.
struct openai_call : http_call_base {
  openai_call(std::string id, const agent_env& env, std::shared_ptr<const oa::options> o,
              turn_input in, oa::history h)
      : http_call_base(std::move(id)),
        name(env.name),
        deliver(env.deliver),
        fail(env.fail),
        store(env.store),
        opt(std::move(o)),
        input(std::move(in)),
        past(std::move(h)),
        sse([this](const std::string&, const std::string& data) { return on_event(data); }) {}

  // On the request strand. False stops reading.
  bool on_chunk(std::string_view bytes) {
    if (cancelled.load() || finished) return false;
    raw.add(bytes);
    if (!sse.feed(bytes) && !finished) {  // an event past the parser's bound
      log_problem("a streamed event exceeded the size limit");
      end_with(oa::text_unreadable);
    }
    return !finished;
  }

  bool on_event(const std::string& data) {
    saw_event = true;
    oa::chunk c = oa::parse_chunk(data);
    if (c.done_marker) {
      complete();
      return false;
    }
    if (c.error) {
      spdlog::warn(
          "agent {}: turn {}: the model service reported an error mid-stream: type={} "
          "code={} message={}",
          name, turn_id, c.error->type, c.error->code, scrub(c.error->message));
      end_with(oa::text_for_stream_error(*c.error));
      return false;
    }
    if (c.unreadable) {
      spdlog::debug("{}agent {}: skipped an unreadable stream event",
                    common::log_tag({.turn = turn_id}), name);
      return true;
    }
    if (!c.delta.empty()) {
      if (answer.size() < max_answer_bytes) answer += c.delta;
      emit_delta(std::move(c.delta));
    }
    if (!c.finish_reason.empty()) {
      if (c.finish_reason != "stop")
        spdlog::info("{}agent {}: the model finished with reason '{}'",
                     common::log_tag({.turn = turn_id}), name, c.finish_reason);
      complete();
      return false;
    }
    return true;
  }

  // On the request strand, once.
  void on_done(const std::string& error, const kit::http_client_response& resp) {
    if (cancelled.load() || finished) return;
    if (resp.status != 0 && !is_success_status(resp.status)) {
      auto e = oa::parse_error(raw.text());
      std::string rid(resp.header("x-request-id"));
      spdlog::warn("{}agent {}: the model service answered HTTP {} (request id {}): {}",
                   common::log_tag({.turn = turn_id}), name, resp.status, rid.empty() ? "-" : rid,
                   scrub(raw.text()));
      return end_with(oa::text_for_status(resp.status, e));
    }
    const auto kind = classify_transport(error);
    if (kind == transport_failure::aborted) return;  // the runtime is stopping
    if (kind == transport_failure::none) {
      sse.feed("\n\n");  // a last event without its blank line still counts
      if (finished) return;
      if (!saw_event && raw.complete()) {  // a server that ignored stream:true
        if (auto text = oa::parse_completion(raw.text())) {
          answer = *text;
          if (!text->empty()) emit_delta(std::move(*text));
          return complete();
        }
        if (auto e = oa::parse_error(raw.text())) {
          log_problem("an error envelope with HTTP " + std::to_string(resp.status) + ": " +
                      scrub(e->message));
          return end_with(oa::text_for_stream_error(*e));
        }
      }
      if (!saw_event) {
        log_problem("an answer that is neither SSE nor JSON: " + scrub(raw.text()));
        return end_with(oa::text_unreadable);
      }
      log_problem("the stream ended without a finish_reason or [DONE]");
      return end_with(oa::text_cut_off);
    }
    log_problem(error);  // kit texts: no secrets in them
    end_with(oa::text_for_transport(kind));
  }

  void emit_delta(std::string text) {
    if (cancelled.load()) return;
    turns::thread_response r;
    r.turn = turn_id;
    r.delta = std::move(text);
    deliver(turns::to_json(r));
  }

  // The turn finished normally: the exchange joins the history (before `done`, so the thread's
  // next turn, which starts after it, reads it), then done.
  void complete() {
    if (finished) return;
    finished = true;
    if (cancelled.load()) return;
    if (store && opt->history_turns > 0 && !input.thread.empty() &&
        answer.size() < max_answer_bytes) {
      past.push_back({input.text, answer});
      oa::trim_history(past, static_cast<std::size_t>(opt->history_turns),
                       static_cast<std::size_t>(opt->history_bytes));
      store->kv_set("agent:" + name, input.thread, oa::serialize_history(past),
                    [name = name](const std::string& err) {
                      if (!err.empty())
                        spdlog::warn("agent {}: cannot save the conversation history: {}", name,
                                     err);
                    });
    }
    turns::thread_response r;
    r.turn = turn_id;
    r.done = true;
    deliver(turns::to_json(r));
  }

  void end_with(const std::string& text) {
    if (finished) return;
    finished = true;
    if (!cancelled.load()) fail(turn_id, text);
  }

  void log_problem(const std::string& what) {
    spdlog::warn("{}agent {}: {}", common::log_tag({.turn = turn_id}), name, what);
  }

  std::string scrub(std::string_view text) const {
    return excerpt(text, {opt->api_key, bearer}, 300);
  }

  // The asking user's identity gave no token: the turn ends with its text (no request made).
  void end_without_token(const user_token_result& r) {
    if (finished) return;
    finished = true;
    if (cancelled.load()) return;
    if (!r.notice) return fail(turn_id, r.user_text);
    turns::thread_response resp;
    resp.turn = turn_id;
    resp.content = r.user_text;
    resp.done = true;
    deliver(turns::to_json(resp));
  }

  const std::string name;
  const std::function<void(std::string)> deliver;
  const std::function<void(std::string, std::string)> fail;
  state::store* const store;
  const std::shared_ptr<const oa::options> opt;
  const turn_input input;
  oa::history past;
  agents::sse_parser sse;
  body_prefix raw{64 << 10};
  std::string answer;
  bool saw_event = false;
  bool finished = false;          // a terminal went out (or was decided)
  std::string bearer;             // the Authorization credential of this call (a secret)
  std::vector<oa::image> images;  // image_url parts (images: true), set before the request
};

std::string image_mime(const std::string& served, const std::string& declared) {
  for (const std::string* m : {&served, &declared})
    if (m->rfind("image/", 0) == 0) return *m;
  return {};
}

// Reads the call's images through the host's media service (images: true), then `then` (on any
// thread). An image that cannot be read stays only in the text's attachment list, with a log line.
void read_images(const media_read_fn& read_media, const std::string& name, std::int64_t max_bytes,
                 const std::shared_ptr<openai_call>& call, const std::function<void()>& then) {
  const auto& refs = call->input.image_refs;
  if (refs.empty() || !read_media) return then();
  struct batch {
    std::mutex mu;
    std::vector<std::optional<oa::image>> got;
    std::size_t left = 0;
  };
  auto b = std::make_shared<batch>();
  b->got.resize(refs.size());
  b->left = refs.size();
  for (std::size_t i = 0; i < refs.size(); ++i) {
    read_media(refs[i].media_id, static_cast<std::uint64_t>(max_bytes),
               [b, i, call, name, then](media_read_result r) {
                 const auto& ref = call->input.image_refs[i];
                 std::string mime = image_mime(r.mime_type, ref.mime_type);
                 if (r.ok && mime.empty()) r = {.ok = false, .error = "not an image type"};
                 if (!r.ok)
                   spdlog::warn(
                       "{}agent {}: the image \"{}\" is not sent to the model ({}); the text "
                       "lists it",
                       common::log_tag({.turn = call->turn_id}), name, ref.name, r.error);
                 bool last = false;
                 {
                   std::lock_guard lk(b->mu);
                   if (r.ok) b->got[i] = oa::image{std::move(mime), std::move(r.bytes)};
                   last = --b->left == 0;
                 }
                 if (!last) return;
                 for (auto& g : b->got)
                   if (g) call->images.push_back(std::move(*g));
                 then();
               });
  }
}

class openai_agent final : public agent {
 public:
  openai_agent(oa::options opt, agent_env env)
      : opt_(std::make_shared<const oa::options>(std::move(opt))),
        env_(std::move(env)),
        calls_(std::make_shared<call_registry<openai_call>>(
            static_cast<std::size_t>(opt_->max_in_flight))) {}

  bool at_capacity() const override { return calls_->full(); }
  bool start(const std::string& turn_id, const std::string& request_json,
             std::string& error_text) override {
    turn_input in = read_turn(request_json);
    oa::history past;
    if (env_.store && opt_->history_turns > 0 && !in.thread.empty())
      if (auto stored = env_.store->kv_get("agent:" + env_.name, in.thread))
        past = oa::parse_history(*stored);
    oa::trim_history(past, static_cast<std::size_t>(opt_->history_turns),
                     static_cast<std::size_t>(opt_->history_bytes));
    auto call = std::make_shared<openai_call>(turn_id, env_, opt_, std::move(in), std::move(past));
    switch (calls_->admit(call)) {
      case call_registry<openai_call>::admission::ok:
        break;
      case call_registry<openai_call>::admission::stopped:
        error_text = "The model agent is stopping; please ask again in a moment.";
        return false;
      case call_registry<openai_call>::admission::busy:
        error_text =
            "The model agent is busy (too many requests at once); please try again shortly.";
        return false;
    }
    // The images (images: true), then the request.
    auto send_call = [rt = env_.rt, opt = opt_, calls = calls_, read = env_.read_media,
                      name = env_.name, call] {
      if (!opt->images) return send(*rt, opt, calls, call);
      read_images(read, name, opt->max_image_bytes, call, [rt, opt, calls, call] {
        if (call->cancelled.load()) return calls->finished(call);
        send(*rt, opt, calls, call);
      });
    };
    if (!opt_->user_identity) {
      call->bearer = opt_->api_key;
      send_call();
      return true;
    }
    if (!user_tokens_or_refuse(env_.user_token, *calls_, call, error_text)) return false;
    // The user's token (cached, or exchanged now), then the request; never the api_key.
    env_.user_token(request_json,
                    [calls = calls_, call, send_call = std::move(send_call)](user_token_result r) {
                      if (!r.ok || call->cancelled.load()) {
                        call->end_without_token(r);
                        return calls->finished(call);
                      }
                      call->bearer = std::move(r.token);
                      send_call();
                    });
    return true;
  }

  static void send(kit::io_runtime& rt, const std::shared_ptr<const oa::options>& opt,
                   const std::shared_ptr<call_registry<openai_call>>& calls,
                   const std::shared_ptr<openai_call>& call) {
    kit::http_client_request req;
    req.method = "POST";
    req.url = opt->base_url + "/chat/completions";
    req.headers = {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}};
    if (!call->bearer.empty()) req.headers.emplace_back("Authorization", "Bearer " + call->bearer);
    req.body = oa::request_body(*opt, call->past, call->input.text, true, call->images);
    call->images.clear();  // in the body now
    req.ca_file = opt->ca_file;
    prepare_request(opt->deadlines, *call, req);
    req.on_body_chunk = [call](std::string_view bytes) { return call->on_chunk(bytes); };
    // `done` may run before http_fetch returns (runtime stopping): the call is admitted above.
    kit::http_fetch(rt, std::move(req),
                    [call, calls](const std::string& error, const kit::http_client_response& resp) {
                      call->on_done(error, resp);
                      calls->finished(call);
                    });
  }

  void cancel(const std::string& turn_id) override { calls_->cancel(turn_id); }
  void stop() override { calls_->stop(); }

 private:
  std::shared_ptr<const oa::options> opt_;
  agent_env env_;
  std::shared_ptr<call_registry<openai_call>> calls_;
};

}  // namespace

std::unique_ptr<agent> make_openai_agent(std::string_view options_json, agent_env env,
                                         std::string& error) {
  auto opt = oa::parse_options(options_json, error);
  if (!error.empty()) return nullptr;
  if (env.rt == nullptr) {
    error = "openai agent: no I/O runtime";
    return nullptr;
  }
  return std::make_unique<openai_agent>(std::move(opt), std::move(env));
}

}  // namespace patchbay::agents
