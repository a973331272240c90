#include <boost/json.hpp>

#include "agents/backends.hpp"
#include "agents/echo_agent.hpp"
#include "config/config.hpp"

namespace patchbay::agents {
namespace {

// The built-in echo agent behind the common interface.
class echo_backend final : public agent {
 public:
  echo_backend(turns::scheduler& sched, echo_options opt, const agent_env& env)
      : echo_(sched, std::move(opt), env.deliver) {}
  bool start(const std::string& turn_id, const std::string& request_json,
             std::string& /*error_text*/) override {
    boost::json::error_code ec;
    auto req = boost::json::parse(request_json, ec);
    std::string text;
    if (!ec && req.is_object())
      if (auto* t = req.as_object().if_contains("text"); t && t->is_string())
        text = std::string(t->get_string());
    echo_.start(turn_id, text);
    return true;
  }
  void cancel(const std::string& turn_id) override { echo_.cancel(turn_id); }

 private:
  echo_agent echo_;
};

}  // namespace

std::unique_ptr<agent> make_echo_agent(std::string_view options_json, const agent_env& env,
                                       std::string& error) {
  auto opt = parse_echo_options(options_json, error);
  if (!error.empty()) return nullptr;
  return std::make_unique<echo_backend>(*env.sched, std::move(opt), env);
}

std::unique_ptr<agent> make_agent(const config::agent_config& cfg, agent_env env,
                                  std::string& error) {
  std::unique_ptr<agent> a;
  if (cfg.type == "echo")
    a = make_echo_agent(cfg.options_json, env, error);
  else if (cfg.type == "http")
    a = make_http_agent(cfg.options_json, std::move(env), error);
  else if (cfg.type == "openai")
    a = make_openai_agent(cfg.options_json, std::move(env), error);
  else if (cfg.type == "process")
    a = make_process_agent(cfg.options_json, std::move(env), error);
  else if (cfg.type == "callback")
    a = make_callback_agent(cfg.options_json, std::move(env), error);
  else
    error = "unknown agent type '" + cfg.type + "'";
  if (!a && error.empty()) error = "agent type '" + cfg.type + "' could not be built";
  return a;
}

}  // namespace patchbay::agents
