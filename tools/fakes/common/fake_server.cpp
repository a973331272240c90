#include "fake_server.hpp"

#include <spdlog/spdlog.h>

namespace patchbay::fakes::common {

fake_http_server::fake_http_server(kit::io_runtime& rt, const kit::http_server_options& options,
                                   std::shared_ptr<served_state> state)
    : state_(std::move(state)) {
  server_ = std::make_unique<kit::http_server>(rt, options,
                                               [w = std::weak_ptr<served_state>(state_)](auto ex) {
                                                 if (auto s = w.lock())
                                                   s->on_request(std::move(ex));
                                               });
}

fake_http_server::~fake_http_server() {
  state_->shut();
  server_.reset();
}

void fake_http_server::start() {
  server_->start();
  state_->on_listening(server_->local_endpoint());
}

std::string fake_http_server::local_endpoint() const { return server_->local_endpoint(); }

void fake_http_server::stop(std::chrono::milliseconds grace, std::function<void()> on_stopped) {
  server_->stop(grace, std::move(on_stopped));
  state_->shut();
}

kit::http_response unparsable_response(std::string_view header_name) {
  kit::http_response r;
  r.status = 200;
  r.headers.emplace_back(std::string(header_name), std::string("drop\x01"));
  return r;
}

void log_request(const kit::http_request& req, std::string_view outcome) {
  if (req.path.rfind("/_fake/", 0) == 0) return;
  spdlog::debug("{} {} -> {}", req.method, req.path, outcome);
}

}  // namespace patchbay::fakes::common
