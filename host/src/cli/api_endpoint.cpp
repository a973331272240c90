#include "cli/api_endpoint.hpp"

#include <boost/json.hpp>

#include <cstdlib>

namespace patchbay::cli {

void apply_endpoint_defaults(std::string& url, std::string& token) {
  // Read at start-up of the command, before any thread runs: getenv is safe then.
  const char* env_url = std::getenv("PATCHBAY_URL");      // NOLINT(concurrency-mt-unsafe)
  const char* env_token = std::getenv("PATCHBAY_TOKEN");  // NOLINT(concurrency-mt-unsafe)
  if (url.empty() && env_url) url = env_url;
  if (url.empty()) url = "http://127.0.0.1:8780";
  if (token.empty() && env_token) token = env_token;
  while (!url.empty() && url.back() == '/') url.pop_back();
}

std::string error_answer_message(const std::string& body) {
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (!ec && v.is_object() && v.as_object().contains("error") && v.at("error").is_object() &&
      v.at("error").as_object().contains("message") && v.at("error").at("message").is_string())
    return std::string(v.at("error").at("message").get_string());
  return "";
}

}  // namespace patchbay::cli
