#include "identity/providers.hpp"

#include <boost/json.hpp>

#include "agents/host_answer_agent.hpp"
#include "config/config.hpp"
#include "patchbay/pb_messages.h"
#include "turns/thread_response.hpp"

namespace patchbay::identity {
namespace json = boost::json;

provider_registry::provider_registry(kit::io_runtime& rt, const config::config& cfg,
                                     state::store& store) {
  if (const auto& n = cfg.identity.nyxid) {
    broker_options o;
    o.client = broker_client{n->base_url, n->client_id, n->redirect_uri, n->scope};
    o.state_secret = n->state_secret;
    o.ca_file = n->ca_file;
    o.timeout = n->timeout;
    add("nyxid",
        std::make_shared<broker_service>(rt, std::move(o), make_kv_binding_store(store, "nyxid")));
  }
}

void provider_registry::add(std::string provider, std::shared_ptr<broker_service> service) {
  providers_[std::move(provider)] = std::move(service);
}

std::shared_ptr<broker_service> provider_registry::find(const std::string& provider) const {
  auto it = providers_.find(provider);
  return it == providers_.end() ? nullptr : it->second;
}

bool provider_registry::handle_http(const std::shared_ptr<kit::http_exchange>& ex) const {
  const std::string& path = ex->request().path;
  constexpr std::string_view prefix = "/oauth/";
  constexpr std::string_view suffix = "/callback";
  if (path.rfind(prefix, 0) != 0 || path.size() <= prefix.size() + suffix.size() ||
      path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  const std::string provider =
      path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
  auto it = providers_.find(provider);
  if (it == providers_.end()) return false;
  if (ex->request().method != "GET") {
    auto r = callback_page(405, "Method not allowed", "Use GET.");
    r.headers.emplace_back("Allow", "GET");
    ex->respond(std::move(r));
    return true;
  }
  it->second->handle_callback(ex->request().query,
                              [ex](kit::http_response r) { ex->respond(std::move(r)); });
  return true;
}

kit::http_handler with_identity_routes(kit::http_handler inner,
                                       const std::shared_ptr<const provider_registry>& reg) {
  if (!reg || reg->empty()) return inner;
  return [inner = std::move(inner), reg](std::shared_ptr<kit::http_exchange> ex) {
    if (!reg->handle_http(ex)) inner(std::move(ex));
  };
}

namespace {

std::string field_of(const std::string& request_json, const char* key) {
  json::error_code ec;
  json::value v = json::parse(request_json, ec);
  if (ec || !v.is_object()) return {};
  const auto* t = v.get_object().if_contains(key);
  return t && t->is_string() ? std::string(t->get_string()) : std::string();
}

// The command the commands dispatcher (host/src/commands/) named in the request ("init" or
// "unbind"), else the text read as "/init" or "/unbind".
command command_of(const std::string& request_json) {
  const std::string named = field_of(request_json, "command");
  if (named == "init") return command::init;
  if (named == "unbind") return command::unbind;
  return parse_command(field_of(request_json, "text"));
}

class command_agent final : public agents::agent {
 public:
  command_agent(subject_resolver resolve, agents::agent_env env)
      : resolve_(std::move(resolve)), env_(std::move(env)) {}

  bool start(const std::string& turn_id, const std::string& request_json,
             std::string& error_text) override {
    auto r = resolve_(request_json);
    const command c = command_of(request_json);
    if (!r || c == command::none) {
      error_text = "This channel has no identity bindings.";
      return false;
    }
    // A late answer for a turn the router gave up on is dropped by the router.
    r->service->run_command(c, r->who, [env = env_, turn_id](std::string text) {
      agents::answer_with_text(env, turn_id, std::move(text));
    });
    return true;
  }
  void cancel(const std::string&) override {}

 private:
  subject_resolver resolve_;
  agents::agent_env env_;
};

}  // namespace

std::unique_ptr<agents::agent> make_command_agent(subject_resolver resolve, agents::agent_env env) {
  return std::make_unique<command_agent>(std::move(resolve), std::move(env));
}

std::optional<turn_asker> read_turn_asker(const std::string& request_json) {
  json::error_code ec;
  json::value v = json::parse(request_json, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  auto str = [&](const char* k) {
    const auto* p = o.if_contains(k);
    return p && p->is_string() ? std::string(p->get_string()) : std::string();
  };
  turn_asker a{str("channel"), str("sender"), str("conversation_kind") == "direct"};
  if (a.channel.empty() || a.channel == "api" || a.sender.empty()) return std::nullopt;
  return a;
}

agents::user_token_fn make_user_token_fn(subject_resolver resolve) {
  return [resolve = std::move(resolve)](const std::string& request_json,
                                        std::function<void(agents::user_token_result)> done) {
    auto r = resolve(request_json);
    if (!r) return done({false, "", texts::no_user_identity(), true});
    r->service->token_for(r->who, [done = std::move(done)](token_result t) {
      if (t.outcome == exchange_outcome::token) return done({true, std::move(t.token), "", false});
      done({false, "", std::move(t.user_text), t.outcome != exchange_outcome::unavailable});
    });
  };
}

}  // namespace patchbay::identity
