#include <cstdio>
#include <exception>
#include <string>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  using namespace patchbay::cli;
  if (argc < 2) {
    print_usage(true);
    return 2;
  }
  std::string cmd = argv[1];
  args rest(argv + 2, argv + argc);
  try {
    if (cmd == "run") return cmd_run(rest);
    if (cmd == "check-config") return cmd_check_config(rest);
    if (cmd == "plugins") return cmd_plugins(rest);
    if (cmd == "version" || cmd == "--version") return cmd_version(rest);
    if (cmd == "status") return cmd_status(rest);
    if (cmd == "chat") return cmd_chat(rest);
    if (cmd == "reload") return cmd_reload(rest);
    if (cmd == "queue") return cmd_queue(rest);
    if (cmd == "pair") return cmd_pair(rest);
    if (cmd == "help" || cmd == "--help" || cmd == "-h") {
      print_usage(false);
      return 0;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "patchbay %s: %s\n", cmd.c_str(), e.what());
    return 1;
  }
  if (const int rc = run_external_command(cmd, rest); rc >= 0) return rc;
  std::fprintf(stderr, "patchbay: unknown command '%s'\n\n", cmd.c_str());
  print_usage(true);
  return 2;
}
