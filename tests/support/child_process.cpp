#include "child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace pbtest {

child_process::child_process(std::vector<std::string> argv, std::map<std::string, std::string> env,
                             std::string out_file, std::string err_file) {
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    for (auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
}

child_process::~child_process() {
  if (wait(std::chrono::milliseconds(0)) == -1) {
    ::kill(pid_, SIGKILL);
    wait(std::chrono::seconds(5));
  }
}

void child_process::signal(int sig) { ::kill(pid_, sig); }

int child_process::wait(std::chrono::milliseconds timeout) {
  if (status_ != -1) return status_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      return status_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int run_command(std::vector<std::string> argv, std::string& out, std::string& err,
                std::map<std::string, std::string> env, std::chrono::milliseconds timeout) {
  char tmpl[] = "/tmp/pbcmdXXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  int rc;
  {
    child_process p(std::move(argv), std::move(env), dir + "/out", dir + "/err");
    rc = p.wait(timeout);
  }
  out = read_file(dir + "/out");
  err = read_file(dir + "/err");
  ::unlink((dir + "/out").c_str());
  ::unlink((dir + "/err").c_str());
  ::rmdir(dir.c_str());
  return rc;
}

}  // namespace pbtest
