#include "cli/commands.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "app/host_app.hpp"
#include "app/logging.hpp"
#include "cli/api_endpoint.hpp"
#include "cli/status_table.hpp"
#include "config/config.hpp"
#include "patchbay/kit/http_client.hpp"
#include "plugin/loader.hpp"

namespace patchbay::cli {
namespace {

void print_errors(const std::vector<config::config_error>& errors) {
  for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
}

// Returns the value of `--name VALUE` / `--name=VALUE` (removing it from `a`), or "".
std::string take_option(args& a, const std::string& name, const std::string& short_name = "") {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == name || (!short_name.empty() && a[i] == short_name)) {
      if (i + 1 >= a.size()) throw std::invalid_argument(name + " needs a value");
      std::string v = a[i + 1];
      a.erase(a.begin() + static_cast<long>(i), a.begin() + static_cast<long>(i) + 2);
      return v;
    }
    if (a[i].rfind(name + "=", 0) == 0) {
      std::string v = a[i].substr(name.size() + 1);
      a.erase(a.begin() + static_cast<long>(i));
      return v;
    }
  }
  return "";
}

bool take_flag(args& a, const std::string& name) {
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] == name) {
      a.erase(a.begin() + static_cast<long>(i));
      return true;
    }
  return false;
}

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "patchbay: %s\n\n", msg.c_str());
  print_usage(true);
  return 2;
}

}  // namespace

void print_usage(bool to_stderr) {
  std::FILE* out = to_stderr ? stderr : stdout;
  std::fputs(
      "usage:\n"
      "  patchbay run -c FILE             start the host with a configuration file\n"
      "  patchbay check-config FILE       validate a configuration (and resolve its plugins)\n"
      "  patchbay plugins [--json] [DIR...]  list plugins found, or why each was refused\n"
      "  patchbay status [--json] [--url URL] [--token TOKEN]\n"
      "                                   channel status of a running host (a table; --json: raw)\n"
      "  patchbay chat [--url URL] [--token TOKEN] [--thread ID] [--agent NAME] TEXT\n"
      "                                   one turn through the host's API, streamed\n"
      "  patchbay reload [--url URL] [--token TOKEN]  re-read a running host's configuration\n"
      "  patchbay queue list [--json] | retry ID | drop ID [--url URL] [--token TOKEN]\n"
      "                                   the host's durable outbound queue: its ops, dead\n"
      "                                   letters tried again or removed\n"
      "  patchbay pair list | approve CODE | revoke CHANNEL SENDER [--url URL] [--token T]\n"
      "                                   pairing codes and approved senders of a running host\n"
      "  patchbay version                 print the version and plugin ABI\n"
      "  patchbay NAME [ARGS...]          run the external command patchbay-NAME (beside this\n"
      "                                   binary or on PATH), e.g. patchbay weixin-login\n"
      "\n"
      "exit codes: 0 success, 1 failure, 2 usage error, 3 host unreachable\n",
      out);
}

int cmd_version(const args&) {
  std::printf("patchbay %s (plugin ABI %d.%d)\n", PATCHBAY_VERSION, PB_ABI_MAJOR, PB_ABI_MINOR);
  return 0;
}

int cmd_run(const args& in) {
  args a = in;
  std::string file;
  try {
    file = take_option(a, "--config", "-c");
  } catch (const std::exception& e) {
    return usage_error(e.what());
  }
  if (file.empty() && a.size() == 1) file = a[0], a.clear();
  if (file.empty() || !a.empty()) return usage_error("run needs -c FILE");
  auto loaded = config::load_config(file);
  if (!loaded.cfg) {
    print_errors(loaded.errors);
    std::fprintf(stderr, "patchbay: %zu configuration error(s); nothing started\n",
                 loaded.errors.size());
    return 1;
  }
  logging::init(
      {loaded.cfg->host.log.format == config::log_format::json, loaded.cfg->host.log.level});
  int rc = app::host_app(std::move(*loaded.cfg)).run();
  logging::shutdown();
  return rc;
}

int cmd_check_config(const args& in) {
  args a = in;
  bool skip_plugins = take_flag(a, "--no-plugins");
  if (a.size() != 1) return usage_error("check-config needs exactly one FILE");
  auto loaded = config::load_config(a[0]);
  std::vector<config::config_error> errors = loaded.errors;
  if (loaded.cfg && !skip_plugins) {
    plugin::loader loader(app::plugin_search_path(loaded.cfg->host.plugin_dirs));
    for (size_t i = 0; i < loaded.cfg->channels.size(); ++i) {
      const auto& ch = loaded.cfg->channels[i];
      auto out = loader.load(ch.plugin);
      if (!out.module)
        errors.push_back({ch.plugin_pos, "channels[" + std::to_string(i) + "].plugin",
                          "plugin refused: " + out.error->reason + "; fix: " + out.error->fix});
    }
  }
  if (!errors.empty()) {
    print_errors(errors);
    std::fprintf(stderr, "%s: %zu error(s)\n", a[0].c_str(), errors.size());
    return 1;
  }
  std::printf("%s: OK (%zu channel(s), %zu agent(s))\n", a[0].c_str(), loaded.cfg->channels.size(),
              loaded.cfg->agents.size());
  return 0;
}

int cmd_plugins(const args& in) {
  args a = in;
  bool json = take_flag(a, "--json");
  for (const auto& x : a)
    if (!x.empty() && x[0] == '-') return usage_error("unknown option " + x);
  std::vector<std::string> dirs = a.empty() ? app::plugin_search_path({}) : a;
  plugin::loader loader(dirs);
  auto files = loader.scan();
  boost::json::array arr;
  bool all_ok = true;
  for (const auto& f : files) {
    auto out = loader.load(f);
    if (out.module) {
      const auto& m = *out.module;
      std::string abi = std::to_string(m.abi_major) + "." + std::to_string(m.abi_minor);
      if (json)
        arr.push_back({{"file", f},
                       {"ok", true},
                       {"name", m.name},
                       {"version", m.version},
                       {"abi", abi},
                       {"platform", m.platform},
                       {"description", m.description},
                       {"capabilities", plugin::describe_capabilities(m.caps)}});
      else
        std::printf("ok      %s name=%s version=%s abi=%s platform=%s %s\n", f.c_str(),
                    m.name.c_str(), m.version.c_str(), abi.c_str(), m.platform.c_str(),
                    plugin::describe_capabilities(m.caps).c_str());
    } else {
      all_ok = false;
      if (json)
        arr.push_back(
            {{"file", f}, {"ok", false}, {"reason", out.error->reason}, {"fix", out.error->fix}});
      else
        std::printf("refused %s %s; fix: %s\n", f.c_str(), out.error->reason.c_str(),
                    out.error->fix.c_str());
    }
  }
  if (json) std::printf("%s\n", boost::json::serialize(arr).c_str());
  if (files.empty() && !json) {
    std::string list;
    for (const auto& d : dirs) list += (list.empty() ? "" : ", ") + d;
    std::fprintf(stderr, "no plugins found in: %s\n", list.c_str());
  }
  return all_ok ? 0 : 1;
}

int cmd_status(const args& in) {
  args a = in;
  std::string url, token;
  const bool raw_json = take_flag(a, "--json");
  try {
    url = take_option(a, "--url");
    token = take_option(a, "--token");
  } catch (const std::exception& e) {
    return usage_error(e.what());
  }
  if (!a.empty()) return usage_error("unexpected argument " + a[0]);
  apply_endpoint_defaults(url, token);

  kit::http_client_request req;
  req.url = url + "/v1/channels";
  req.connect_timeout = std::chrono::seconds(5);
  req.total_timeout = std::chrono::seconds(10);
  if (!token.empty()) req.headers.emplace_back("Authorization", "Bearer " + token);
  std::string err;
  kit::http_client_response resp;
  kit::http_fetch_blocking(req, err, resp);
  if (!err.empty()) {
    std::fprintf(stderr, "patchbay status: cannot reach %s: %s\n", url.c_str(), err.c_str());
    return 3;
  }
  if (resp.status != 200) {
    std::fprintf(stderr, "patchbay status: %s answered HTTP %u: %s\n", url.c_str(), resp.status,
                 resp.body.substr(0, 300).c_str());
    return 1;
  }
  if (raw_json) {
    std::printf("%s\n", resp.body.c_str());
    return 0;
  }
  try {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    std::fputs(render_status_table(boost::json::parse(resp.body), now).c_str(), stdout);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "patchbay status: unexpected answer from %s: %s\n", url.c_str(), e.what());
    return 1;
  }
  return 0;
}

}  // namespace patchbay::cli
