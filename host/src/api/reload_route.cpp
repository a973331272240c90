#include "api/reload_route.hpp"

#include <boost/json.hpp>

#include <atomic>

#include "api/auth.hpp"
#include "patchbay/kit/runtime.hpp"

namespace patchbay::api {
namespace {

kit::http_response answer(unsigned status, std::string body) {
  kit::http_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::string error_json(const char* code, const std::string& message) {
  return boost::json::serialize(
      boost::json::object{{"error", {{"code", code}, {"message", message}}}});
}

// One request waiting for the host's outcome or its deadline, whichever comes first.
struct pending_reload {
  std::shared_ptr<kit::http_exchange> ex;
  std::atomic<bool> answered{false};
  std::unique_ptr<kit::timer> deadline;

  void finish(unsigned status, std::string body) {
    if (answered.exchange(true)) return;
    if (deadline) deadline->cancel();
    ex->respond(answer(status, std::move(body)));
  }
};

}  // namespace

void handle_reload(api_context& ctx, std::shared_ptr<kit::http_exchange> ex,
                   std::chrono::milliseconds wait) {
  const auto& req = ex->request();
  if (req.method != "POST") {
    auto r = answer(405, error_json("method_not_allowed", "use POST"));
    r.headers.emplace_back("Allow", "POST");
    return ex->respond(std::move(r));
  }
  // (The server's screen refused it already on the header; checked again here like every route.)
  if (auto refused = refuse_without_token(ctx, req)) return ex->respond(std::move(*refused));
  auto p = std::make_shared<pending_reload>();
  p->ex = std::move(ex);
  if (ctx.rt != nullptr) {
    p->deadline = std::make_unique<kit::timer>(*ctx.rt);
    std::weak_ptr<pending_reload> weak = p;  // the host's callback owns the request
    p->deadline->after(wait, [weak, wait](bool cancelled) {
      if (cancelled) return;
      if (auto s = weak.lock())
        s->finish(504,
                  error_json("reload_pending",
                             "the reload did not finish within " + std::to_string(wait.count()) +
                                 " ms; it continues: see the host's log and GET /v1/channels"));
    });
  }
  ctx.reload([p](unsigned status, std::string body) { p->finish(status, std::move(body)); });
}

}  // namespace patchbay::api
