// The host's turn service: the router on its own strand, the configured agents behind it, and the
// outputs turns are rendered to. API turns (POST /v1/chat) stream to Server-Sent Events.
//
// Thread safety: public methods may be called from any thread; all turn work runs on the service's
// strand.
#pragma once

#include <memory>
#include <string>

#include "config/config.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

namespace patchbay::app {

struct chat_request {
  std::string text;
  std::string thread;  // "" = a new thread for this turn
  std::string agent;   // "" = the default agent
};

class turn_service {
 public:
  turn_service(kit::io_runtime& rt, const config::config& cfg);
  ~turn_service();

  // Checks the agent name: "" when usable, else the error text for a 400.
  std::string check_agent(const std::string& name) const;
  // Starts an API turn streaming to `exchange` as SSE (answers the exchange itself, including
  // 503 when the router refuses the turn).
  void start_chat(chat_request req, std::shared_ptr<kit::http_exchange> exchange);
  // Stops taking turns; running ones end with an error. Blocks until done (not on the strand).
  void shutdown();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace patchbay::app
