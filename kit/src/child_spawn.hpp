// The POSIX side of child_process (private header: kit/src only; no Asio): posix_spawn into a
// new process group with the pipes and the stdin socket set up, and a pidfd to watch the exit.
// child_process.cpp does the Asio side: reading, writing, waiting and reaping.
#pragma once

#include "patchbay/kit/child_process.hpp"

#include <sys/types.h>

#include <string>

namespace patchbay::kit::detail {

// What start_process hands over: the child's pid and the parent's ends, all O_CLOEXEC.
struct spawned {
  pid_t pid = -1;
  int in = -1, out = -1, err = -1, pidfd = -1;
};

// Starts o.argv (searched in PATH when argv[0] has no '/') with o.env merged into the environment
// and o.cwd as working directory. Returns 0 and fills `s`, or an errno value and sets `what` to
// the failing step ("" for exec itself). Nothing is left open or running on failure.
int start_process(const child_options& o, spawned& s, std::string& what);

}  // namespace patchbay::kit::detail
