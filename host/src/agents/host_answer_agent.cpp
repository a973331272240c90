#include "agents/host_answer_agent.hpp"

#include <boost/json.hpp>

#include "turns/thread_response.hpp"

namespace patchbay::agents {
namespace json = boost::json;

void answer_with_text(const agent_env& env, const std::string& turn_id, std::string text) {
  turns::thread_response r;
  r.turn = turn_id;
  r.content = std::move(text);
  r.done = true;
  env.deliver(turns::to_json(r));
}

namespace {

class host_answer_agent final : public agent {
 public:
  explicit host_answer_agent(agent_env env) : env_(std::move(env)) {}

  bool start(const std::string& turn_id, const std::string& request_json,
             std::string& error_text) override {
    json::error_code ec;
    json::value v = json::parse(request_json, ec);
    const json::value* text = nullptr;
    if (!ec && v.is_object()) text = v.get_object().if_contains(host_answer_key);
    if (text == nullptr || !text->is_string()) {
      error_text = "The gateway could not answer this message.";
      return false;
    }
    answer_with_text(env_, turn_id, std::string(text->get_string()));
    return true;
  }
  void cancel(const std::string&) override {}

 private:
  agent_env env_;
};

}  // namespace

std::unique_ptr<agent> make_host_answer_agent(agent_env env) {
  return std::make_unique<host_answer_agent>(std::move(env));
}

}  // namespace patchbay::agents
