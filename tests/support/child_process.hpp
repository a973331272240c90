// Runs a program as a child process for integration tests: stdout/stderr to files, extra
// environment, bounded waits, signals.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace pbtest {

class child_process {
 public:
  child_process(std::vector<std::string> argv, std::map<std::string, std::string> env,
                std::string out_file, std::string err_file);
  ~child_process();  // kills it if still running

  void signal(int sig);
  // Exit code (128+signal if killed), or -1 if still running after `timeout`.
  int wait(std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

std::string read_file(const std::string& path);
// Runs to completion (bounded); returns exit code, fills out/err.
int run_command(std::vector<std::string> argv, std::string& out, std::string& err,
                std::map<std::string, std::string> env = {},
                std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace pbtest
