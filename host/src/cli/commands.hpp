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
int cmd_weixin_login(const args& a);  // weixin_login.cpp

void print_usage(bool to_stderr);

}  // namespace patchbay::cli
