// The host's turn service: the router on its own strand, the configured agents behind it, and the
// outputs turns are rendered to. API turns (POST /v1/chat) stream to Server-Sent Events.
//
// Thread safety: public methods may be called from any thread; all turn work runs on the service's
// strand.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "messages/messages.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"
#include "turns/inbound_front.hpp"
#include "turns/router.hpp"

namespace patchbay::plugin {
class channel_instance;
}
namespace patchbay::agents {
class turn_callbacks;
}
namespace patchbay::identity {
class provider_registry;
}
namespace patchbay::metrics {
class registry;
}
namespace patchbay::media {
class service;
class outbound_materializer;
}  // namespace patchbay::media
namespace patchbay::state {
class store;
struct turn_row;
}  // namespace patchbay::state

namespace patchbay::turns {

struct chat_request {
  std::string text;
  std::string thread;  // "" = a new thread for this turn
  std::string agent;   // "" = the default agent
};

class turn_service {
 public:
  // `on_agent_health(agent, problem)` hears each agent's health reports ("" = healthy again),
  // from any thread.
  using agent_health_fn = std::function<void(const std::string& agent, const std::string& problem)>;
  // `identities`: the providers of identity bindings (shared with the HTTP callback routes);
  // null = built here from `cfg`. `metrics`: where turns, agent errors and SSE clients are
  // counted (must outlive the service); null = a private registry nobody reads.
  turn_service(kit::io_runtime& rt, const config::config& cfg, state::store& store,
               agent_health_fn on_agent_health = {},
               std::shared_ptr<identity::provider_registry> identities = nullptr,
               metrics::registry* metrics = nullptr);
  ~turn_service();

  // Checks the agent name: "" when usable, else the error text for a 400.
  std::string check_agent(const std::string& name) const;
  // Starts an API turn streaming to `exchange` as SSE (answers the exchange itself, including
  // 503 when the router refuses the turn).
  void start_chat(chat_request req, const std::shared_ptr<kit::http_exchange>& exchange);
  // A started channel whose inbound messages become turns answered by `agent`; `typing`: show
  // the plugin's typing indicator while a turn runs (when its capabilities have one).
  void add_channel(const std::shared_ptr<plugin::channel_instance>& channel,
                   const std::string& agent, bool typing = true);
  void remove_channel(const std::string& channel_id);
  // A reload (docs/architecture.md §12): applies `cfg`'s agents (added ones usable at once,
  // changed ones replaced for new turns while running turns finish on the old backend, removed
  // ones take no new turn) and its channels' identity providers. Blocks until applied on the
  // service's strand (bounded); call from the host's control thread, not the strand.
  void reconfigure(const config::config& cfg);
  // Adds a stage to the front of the inbound path (turns/inbound_front.hpp), after those added
  // before it. Call before channels start (any thread; applied on the service's strand in order).
  void add_front_stage(front_stage stage);
  // The built-in chat commands (/help /new /stop /whoami /init /unbind; host/src/commands/) as a
  // front stage, to add with add_front_stage after the access gate. It acts on this service's
  // turns (/stop, /new) and reads its channels' `commands:` and `identity:` settings.
  front_stage commands_stage();
  // The service's scheduler, for front stages that hold a message for later (timers run on the
  // service's strand; call schedule/cancel only from a stage or a timer callback).
  turns::scheduler& front_scheduler();
  // Inbound attachments (host/src/media/): each attachment of a channel turn's message gets a
  // media id, offered to the agent as `<base_url>/v1/media/<id>` in the request's
  // "attachments". Call before channels start. Without it attachments are not offered.
  void set_media(std::shared_ptr<media::service> media, std::string base_url);
  // A durable, deduplicated inbound message of channel `channel_id` (any thread).
  void on_inbound(const std::string& channel_id, const messages::inbound_message& m);
  // After a restart (docs/architecture.md §7): the outbound ops the previous run queued are
  // resumed (each delivered once: the same payload and idempotency key); a turn that had shown
  // nothing yet is run again from its stored inbound message; a turn cut mid-way ends with one
  // notice (an edit of its placeholder, or a new message), itself a queued op, sent after the
  // turn's resumed ops. Call read_unfinished() BEFORE any channel starts (so no turn of this run
  // is included; it blocks briefly on the store) and recover() with its result once the
  // channels run.
  std::vector<state::turn_row> read_unfinished();
  void recover(std::vector<state::turn_row> rows);
  // An operator's action on a row of the durable outbound queue (retry a dead letter, or drop an
  // op that is not in flight); `done` hears "" or why not, on the service's strand.
  void queue_action(int64_t id, bool retry, std::function<void(const std::string&)> done);
  // Stops taking turns; running ones end with an error. Blocks until done (not on the strand).
  void shutdown();
  // Where agents' and API callers' files are materialised (host.media.outbound; thread-safe).
  media::outbound_materializer& materializer();
  // The turns of `callback` agents waiting for the agent's posts (POST
  // /v1/turns/<turn>/responses, api/turn_responses_route.hpp); thread-safe.
  std::shared_ptr<agents::turn_callbacks> callbacks() const;
  // Turns queued and running in the router, now. Any thread (a metrics scrape).
  turns::router_load router_load() const;
  // What host.admission counts (plugin/admission_gate.hpp): channel messages handed to
  // on_inbound and not yet decided, plus the router's queued, running and still-delivering turns
  // (a slow platform keeps ended turns in memory until their answer is out). Any thread.
  std::size_t turns_past_intake() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace patchbay::turns
