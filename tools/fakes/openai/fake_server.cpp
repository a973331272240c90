#include "fake_server.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <limits>

#include "completions.hpp"

namespace fake_openai {
namespace json = boost::json;
namespace kit = patchbay::kit;

namespace {

constexpr std::size_t max_recorded = 10'000;
constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

kit::http_response json_response(unsigned status, std::string body, std::string request_id = "") {
  kit::http_response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  if (!request_id.empty()) r.headers.emplace_back("x-request-id", std::move(request_id));
  return r;
}

// The envelope a real service sends for `status`, unless the fault says otherwise.
std::string status_body(const fault& f) {
  std::string message = f.message, type = f.type, code = f.code;
  auto fill = [&](const char* m, const char* t, const char* c) {
    if (message.empty()) message = m;
    if (type.empty()) type = t;
    if (code.empty()) code = c;
  };
  if (f.status == 429 && f.code == "insufficient_quota")
    fill("You exceeded your current quota, please check your plan and billing details.",
         "insufficient_quota", "insufficient_quota");
  else if (f.status == 429)
    fill("Rate limit reached for requests. Please try again later.", "requests",
         "rate_limit_exceeded");
  else if (f.status == 401)
    fill("Incorrect API key provided.", "invalid_request_error", "invalid_api_key");
  else if (f.status >= 500)
    fill("The server had an error while processing your request. Sorry about that!", "server_error",
         "");
  else
    fill("The request was refused.", "invalid_request_error", "");
  return error_body(message, type, "", code);
}

// A streamed answer: its events written one every `delay`, with an optional pause or cut.
struct stream_job : std::enable_shared_from_this<stream_job> {
  std::shared_ptr<kit::http_stream> stream;
  std::unique_ptr<kit::timer> timer;
  std::vector<std::string> events;
  std::size_t next = 0;
  std::chrono::milliseconds delay{0};
  std::size_t pause_after = npos;  // after this many events, wait `pause` longer
  std::chrono::milliseconds pause{0};
  std::size_t cut_after = npos;  // after this many events, end the response (no finish)

  void step() {
    if (stream->closed()) return;  // the client went away
    if (next >= events.size()) return stream->close();
    stream->write(events[next++]);
    if (next >= cut_after || next >= events.size()) return stream->close();
    auto d = delay + (next == pause_after ? pause : std::chrono::milliseconds(0));
    timer->after(d, [self = shared_from_this()](bool cancelled) {
      if (!cancelled) self->step();
    });
  }
};

}  // namespace

fake_server::fake_server(kit::io_runtime& rt, fake_config cfg)
    : rt_(rt), initial_(cfg), cfg_(std::move(cfg)) {}

fake_config fake_server::config() {
  std::lock_guard lock(mtx_);
  return cfg_;
}

bool fake_server::take_fault(fault& out) {
  std::lock_guard lock(mtx_);
  if (faults_.empty()) return false;
  out = faults_.front();
  if (--faults_.front().count <= 0) faults_.pop_front();
  return true;
}

void fake_server::handle(const std::shared_ptr<kit::http_exchange>& ex) {
  const auto& req = ex->request();
  if (req.path.rfind("/_fake/", 0) == 0) return control(ex);
  const std::string key = config().api_key;
  const bool authorized = req.header("Authorization") == "Bearer " + key;
  {
    std::lock_guard lock(mtx_);
    requests_.push_back({++seq_, now_ms(), req.method, req.path, req.body, authorized});
    if (requests_.size() > max_recorded) requests_.pop_front();
  }
  std::fprintf(stderr, "fake-openai: %s %s\n", req.method.c_str(), req.path.c_str());
  if (!authorized) {
    const bool missing = req.header("Authorization").empty();
    return ex->respond(json_response(
        401, error_body(missing ? "You didn't provide an API key. You need to provide your API "
                                  "key in an Authorization header using Bearer auth."
                                : "Incorrect API key provided.",
                        "invalid_request_error", "", missing ? "" : "invalid_api_key")));
  }
  if (req.method == "POST" && req.path == "/v1/chat/completions") return chat(ex, true);
  if (req.method == "GET" && req.path == "/v1/models") {
    json::object model{{"id", config().model},
                       {"object", "model"},
                       {"created", 1700000000},
                       {"owned_by", "patchbay-fake"}};
    return ex->respond(json_response(
        200, json::serialize(json::object{{"object", "list"}, {"data", json::array{model}}})));
  }
  ex->respond(json_response(404, error_body("Invalid URL (" + req.method + " " + req.path + ")",
                                            "invalid_request_error", "", "")));
}

void fake_server::chat(const std::shared_ptr<kit::http_exchange>& ex, bool with_faults) {
  const fake_config cfg = config();
  std::string request_id;
  chunk_ids ids;
  {
    std::lock_guard lock(mtx_);
    ++ids_;
    request_id = "req_fake_" + std::to_string(ids_);
    ids.id = "chatcmpl-fake" + std::to_string(ids_);
  }
  ids.created = now_ms() / 1000;
  ids.model = cfg.model;
  fault f;
  const bool faulty = with_faults && take_fault(f);
  if (faulty && f.kind == "status")
    return ex->respond(json_response(f.status, status_body(f), request_id));
  if (faulty && f.kind == "delay") {  // nothing at all for a while, then the normal answer
    auto t = std::make_shared<kit::timer>(rt_);
    t->after(f.ms, [this, ex, t](bool) mutable {
      chat(ex, false);
      t.reset();
    });
    return;
  }
  const chat_request r = parse_chat_request(ex->request().body);
  if (!r.error.empty())
    return ex->respond(json_response(
        400, error_body(r.error, "invalid_request_error", r.error_param, ""), request_id));
  ids.model = r.model;  // as a real service: the model that answered
  const std::string text = reply_text(r);
  if (!r.stream)
    return ex->respond(json_response(200, completion_body(ids, text, r.message_count), request_id));

  auto job = std::make_shared<stream_job>();
  job->events.push_back(role_event(ids));
  for (const auto& piece : split_pieces(text, cfg.chunks))
    job->events.push_back(content_event(ids, piece));
  const std::size_t first_piece = job->events.size() > 1 ? 2 : 1;
  if (faulty && f.kind == "stall") {
    job->pause_after = first_piece;
    job->pause = f.ms;
  } else if (faulty && f.kind == "drop") {
    job->cut_after = first_piece;
  } else if (faulty && f.kind == "stream_error") {
    job->events.resize(first_piece);
    job->events.push_back(error_event(
        f.message.empty() ? "The server had an error while processing your request." : f.message,
        f.type.empty() ? "server_error" : f.type, f.code));
  }
  if (!(faulty && f.kind == "stream_error")) {
    job->events.push_back(finish_event(ids));
    job->events.push_back(done_event());
  }
  job->delay = cfg.chunk_delay;
  job->timer = std::make_unique<kit::timer>(rt_);
  job->stream = ex->start_stream(200, "text/event-stream",
                                 {{"Cache-Control", "no-cache"}, {"x-request-id", request_id}});
  job->step();
}

void fake_server::control(const std::shared_ptr<kit::http_exchange>& ex) {
  const auto& req = ex->request();
  auto bad = [&](const std::string& why) {
    ex->respond(json_response(400, json::serialize(json::object{{"error", why}})));
  };
  json::value body;
  if (req.method == "POST" && !req.body.empty()) {
    json::error_code ec;
    body = json::parse(req.body, ec);
    if (ec || !body.is_object()) return bad("body must be a JSON object");
  }
  auto get_int = [&](const char* key, std::int64_t def) -> std::int64_t {
    if (!body.is_object()) return def;
    auto* v = body.as_object().if_contains(key);
    return v && v->is_int64() ? v->get_int64() : def;
  };
  auto get_str = [&](const char* key) -> std::string {
    if (!body.is_object()) return {};
    auto* v = body.as_object().if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };

  if (req.method == "POST" && req.path == "/_fake/fault") {
    fault f;
    f.kind = get_str("kind");
    if (f.kind != "status" && f.kind != "stall" && f.kind != "drop" && f.kind != "stream_error" &&
        f.kind != "delay")
      return bad("kind must be status, stall, drop, stream_error or delay");
    f.count = static_cast<int>(get_int("count", 1));
    f.status = static_cast<unsigned>(get_int("status", 500));
    f.ms = std::chrono::milliseconds(get_int("ms", 60'000));
    f.code = get_str("code");
    f.type = get_str("type");
    f.message = get_str("message");
    if (f.count < 1 || f.count > 100'000) return bad("count must be 1..100000");
    if (f.status < 100 || f.status > 599) return bad("status must be 100..599");
    if (f.ms.count() < 0 || f.ms.count() > 3'600'000) return bad("ms must be 0..3600000");
    std::size_t armed;
    {
      std::lock_guard lock(mtx_);
      faults_.push_back(f);
      armed = faults_.size();
    }
    return ex->respond(
        json_response(200, json::serialize(json::object{{"ok", true}, {"armed", armed}})));
  }
  if (req.method == "POST" && req.path == "/_fake/config") {
    std::lock_guard lock(mtx_);
    const auto delay = get_int("chunk_delay_ms", cfg_.chunk_delay.count());
    const auto chunks = get_int("chunks", cfg_.chunks);
    if (delay < 0 || delay > 600'000 || chunks < 1 || chunks > 10'000)
      return bad("chunk_delay_ms must be 0..600000 and chunks 1..10000");
    cfg_.chunk_delay = std::chrono::milliseconds(delay);
    cfg_.chunks = static_cast<int>(chunks);
    return ex->respond(json_response(200, R"({"ok":true})"));
  }
  if (req.method == "GET" && req.path == "/_fake/requests") {
    json::array list;
    {
      std::lock_guard lock(mtx_);
      for (const auto& r : requests_) {
        json::error_code ec;
        json::value parsed = json::parse(r.body, ec);
        list.push_back(json::object{{"seq", r.seq},
                                    {"time_ms", r.time_ms},
                                    {"method", r.method},
                                    {"path", r.path},
                                    {"authorized", r.authorized},
                                    {"body", ec ? json::value(json::string(r.body)) : parsed}});
      }
    }
    return ex->respond(
        json_response(200, json::serialize(json::object{{"requests", std::move(list)}})));
  }
  if (req.method == "POST" && req.path == "/_fake/reset") {
    std::lock_guard lock(mtx_);
    faults_.clear();
    requests_.clear();
    cfg_ = initial_;
    return ex->respond(json_response(200, R"({"ok":true})"));
  }
  ex->respond(json_response(404, R"({"error":"unknown control route"})"));
}

}  // namespace fake_openai
