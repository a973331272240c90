// patchbay command-line commands. Each returns the process exit code:
// 0 success, 1 the operation failed, 2 usage error, 3 host unreachable.
#pragma once

#include <string>
#include <vector>

namespace patchbay::cli {

using args = std::vector<std::string>;

int cmd_run(const args& a);
int cmd_check_config(const args& a);
int cmd_plugins(const args& a);
int cmd_version(const args& a);
int cmd_status(const args& a);
int cmd_chat(const args& a);
int cmd_reload(const args& a);  // cli/reload_command.cpp
int cmd_queue(const args& a);   // cli/queue_command.cpp
int cmd_pair(const args& a);    // cli/pair_command.cpp
// Runs `patchbay-<name>` (beside this binary, else on PATH) in place of this process. Returns
// only when it could not: -1 when no such program exists, 1 when it failed to start.
int run_external_command(const std::string& name, const args& rest);

void print_usage(bool to_stderr);

}  // namespace patchbay::cli
