// channel_instance::http: inbound HTTP (/hooks/<channel-id>) handed to the plugin (ABI minor 1,
// pb_http.h). Exactly one answer per request: the plugin's, or 504 at the deadline, or 503 when
// the instance is destroyed first; a late or second `respond` is ignored.
#include <spdlog/spdlog.h>

#include "patchbay/common/log_subject.hpp"
#include "plugin/channel_instance.hpp"

namespace patchbay::plugin {

struct channel_instance::http_call {
  std::atomic<bool> fired{false};
  http_done done;
  std::unique_ptr<kit::timer> deadline;
  std::string channel;

  void finish(kit::http_response r) {
    if (fired.exchange(true)) return;
    if (deadline) deadline->cancel();
    auto d = std::move(done);
    d(std::move(r));
  }
};

namespace {

kit::http_response error_reply(unsigned status, std::string_view code, std::string_view message) {
  kit::http_response r;
  r.status = status;
  r.body = std::string(R"({"error":{"code":")") + std::string(code) + R"(","message":")" +
           std::string(message) + "\"}}";
  return r;
}

void respond_trampoline(void* ud, const pb_http_response* resp) {
  std::unique_ptr<std::shared_ptr<channel_instance::http_call>> holder(
      static_cast<std::shared_ptr<channel_instance::http_call>*>(ud));
  auto& call = **holder;
  pb_http_response r{};
  if (!read_sized(resp, PB_SIZE_THROUGH(pb_http_response, body), r)) {
    spdlog::error("{}plugin answered an HTTP request with a malformed response",
                  common::log_tag({.channel = call.channel}));
    return call.finish(error_reply(500, "plugin_error", "malformed plugin response"));
  }
  kit::http_response out;
  out.status = r.status >= 100 && r.status <= 599 ? r.status : 500;
  if (r.content_type.size > 0) out.content_type = to_view(r.content_type);
  for (uint32_t i = 0; r.headers != nullptr && i < r.header_count && i < 64; ++i)
    out.headers.emplace_back(to_view(r.headers[i].name), to_view(r.headers[i].value));
  out.body = to_view(r.body);
  if (call.fired.load())
    spdlog::warn("{}plugin answered an HTTP request after the host had (status {}); ignored",
                 common::log_tag({.channel = call.channel}), out.status);
  call.finish(std::move(out));
}

}  // namespace

void channel_instance::http(kit::http_request req, http_done done) {
  strand_.post([self = shared_from_this(), req = std::move(req), done = std::move(done)]() mutable {
    auto call = std::make_shared<http_call>();
    call->done = std::move(done);
    call->channel = self->id_;
    if (self->phase_ != phase::running || self->inst_ == nullptr)
      return call->finish(error_reply(503, "channel_not_running", "the channel is not running"));
    if (self->module_->vt.http == nullptr)
      return call->finish(error_reply(404, "not_found", "this channel takes no HTTP requests"));
    call->deadline = std::make_unique<kit::timer>(self->rt_, self->strand_);
    call->deadline->after(
        self->http_deadline_,
        [call, id = self->id_, ms = self->http_deadline_.count()](bool cancelled) {
          if (cancelled || call->fired.load()) return;
          spdlog::error(
              "{}plugin did not answer an HTTP request within {} ms; "
              "answered 504",
              common::log_tag({.channel = id}), ms);
          call->finish(error_reply(504, "plugin_timeout", "the channel did not answer in time"));
        });
    {
      std::lock_guard lk(self->mu_);
      std::erase_if(self->http_open_, [](const auto& w) { return w.expired(); });
      self->http_open_.push_back(call);
    }
    std::string subpath = req.path;  // the route hands over the part after /hooks/<id>
    std::vector<pb_http_header> headers;
    headers.reserve(req.headers.size());
    for (const auto& [n, v] : req.headers) headers.push_back({to_pb(n), to_pb(v)});
    pb_http_request r{sizeof r,        to_pb(req.method),
                      to_pb(subpath),  to_pb(req.query),
                      headers.data(),  static_cast<uint32_t>(headers.size()),
                      to_pb(req.body), to_pb(req.remote_address)};
    self->module_->vt.http(self->inst_, &r, &respond_trampoline,
                           new std::shared_ptr<http_call>(call));
  });
}

void channel_instance::fail_open_http() {
  std::vector<std::weak_ptr<http_call>> open;
  {
    std::lock_guard lk(mu_);
    open.swap(http_open_);
  }
  for (auto& w : open)
    if (auto c = w.lock())
      c->finish(error_reply(503, "channel_stopped", "the channel stopped before answering"));
}

}  // namespace patchbay::plugin
