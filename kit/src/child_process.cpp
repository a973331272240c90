// child_process, the Asio side: a pidfd watched for the exit, stdout/stderr read as lines, stdin
// written through its socket (sends use MSG_NOSIGNAL: no SIGPIPE in the host), kill/terminate and
// reaping. Starting the process (posix_spawn and its descriptors) is in child_spawn.cpp.
//
// All I/O state lives in `impl` and is touched only on its internal strand `ex`, except what the
// header allows from any thread: write() (an atomic byte budget, then a post), kill()/terminate()
// (under pid_mtx, which also orders them against reaping so a recycled pid is never signalled),
// and cancel() (an atomic flag checked by every callback before it runs the user's function).
// Every pending operation holds a shared_ptr to the impl; the pidfd wait holds it until the
// child is reaped, so the impl can only die unreaped when the io_context is destroyed.
#include "patchbay/kit/child_process.hpp"

#include "child_spawn.hpp"
#include "diagnostics_detail.hpp"
#include "patchbay/common/line_splitter.hpp"
#include "patchbay/kit/runtime.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include <array>
#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <system_error>

namespace patchbay::kit {
namespace {

namespace net = boost::asio;
using error_code = boost::system::error_code;
using strand_exec = net::strand<net::io_context::executor_type>;
using steady = std::chrono::steady_clock;

std::string errno_text(int e) { return std::system_category().message(e); }

}  // namespace

struct child_process::impl : std::enable_shared_from_this<impl> {
  struct reader {
    reader(strand_exec& ex, child_stream w, std::size_t max_line)
        : d(ex), which(w), lines(max_line, common::line_splitter::overlong::skip) {}
    net::posix::stream_descriptor d;
    child_stream which;
    common::line_splitter lines;  // an overlong line is dropped and reported, reading goes on
    bool open = false;
    std::array<char, std::size_t{16} * 1024> buf{};
  };

  impl(net::io_context& ctx, strand cb_strand, child_options o, child_events e)
      : ex(net::make_strand(ctx)),
        cb(std::move(cb_strand)),
        opt(std::move(o)),
        ev(std::move(e)),
        in(ex),
        out(ex, child_stream::out, opt.max_line_bytes),
        err(ex, child_stream::err, opt.max_line_bytes),
        pidfd(ex),
        drain_timer(ex),
        kill_timer(ex) {}

  ~impl() {
    // Only reached unreaped when the io_context is destroyed with our handlers: not on an io
    // thread. Honour what is left of a terminate() grace, then make sure no zombie stays.
    if (pid <= 0 || reaped) return;
    if (terminating && pidfd.is_open()) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(term_deadline - steady::now());
      pollfd p{pidfd.native_handle(), POLLIN, 0};
      if (left.count() > 0) ::poll(&p, 1, static_cast<int>(left.count()));
    }
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }

  void start() {
    detail::spawned s;
    std::string what;
    if (int e = detail::start_process(opt, s, what); e != 0) {
      child_exit x;
      x.spawn_errno = e;
      x.spawn_error = what.empty() ? errno_text(e) : what + ": " + errno_text(e);
      spawn_error = x.spawn_error;
      stdin_dead = true;
      exit_reported = true;
      emit([x](impl& self) {
        if (self.ev.on_exit) self.ev.on_exit(x);
      });
      return;
    }
    pid = s.pid;
    in.assign(net::local::stream_protocol(), s.in);
    out.d.assign(s.out);
    err.d.assign(s.err);
    pidfd.assign(s.pidfd);
    out.open = err.open = true;
    net::post(ex, [self = shared_from_this()] {
      self->read(self->out);
      self->read(self->err);
      self->watch_exit();
    });
  }

  // Runs `fn(*this)` on the callback strand unless cancelled by then.
  template <class F>
  void emit(F fn) {
    cb.post([self = shared_from_this(), fn = std::move(fn)]() mutable {
      if (!self->cancelled.load()) fn(*self);
    });
  }

  // ---- stdout / stderr ------------------------------------------------------------------

  void read(reader& r) {
    r.d.async_read_some(
        net::buffer(r.buf),
        [self = shared_from_this(), &r](error_code ec, std::size_t n) { self->on_read(r, ec, n); });
  }

  void on_read(reader& r, error_code ec, std::size_t n) {
    if (exit_reported) return;  // closed by the drain timeout
    if (n > 0) split(r, n);
    if (!ec) return read(r);
    if (!r.lines.rest().empty()) emit_line(r.which, std::string(r.lines.rest()));
    r.open = false;
    error_code ignored;
    r.d.close(ignored);
    std::string why = ec == net::error::eof ? "" : ec.message();
    emit([w = r.which, why](impl& self) {
      if (self.ev.on_closed) self.ev.on_closed(w, why);
    });
    maybe_report_exit();
  }

  void split(reader& r, std::size_t n) {
    r.lines.feed(
        std::string_view(r.buf.data(), n),
        [&](std::string_view line) {
          emit_line(r.which, std::string(line));
          return true;
        },
        [&] {
          emit([w = r.which, max = opt.max_line_bytes](impl& self) {
            if (self.ev.on_overlong_line) self.ev.on_overlong_line(w, max);
          });
        });
  }

  void emit_line(child_stream which, std::string line) {
    emit([which, line = std::move(line)](impl& self) mutable {
      if (self.ev.on_line) self.ev.on_line(which, std::move(line));
    });
  }

  // ---- stdin ----------------------------------------------------------------------------

  bool write(std::string data) {
    if (stdin_closing.load()) return false;
    const std::size_t n = data.size();
    std::size_t cur = queued.load();
    do {
      if (cur + n > opt.max_stdin_bytes) return false;
    } while (!queued.compare_exchange_weak(cur, cur + n));
    net::post(ex, [self = shared_from_this(), data = std::move(data)]() mutable {
      self->enqueue(std::move(data));
    });
    return true;
  }

  void enqueue(std::string data) {
    if (stdin_dead) {
      queued -= data.size();
      return;
    }
    wq.push_back(std::move(data));
    if (!writing) write_next();
  }

  void write_next() {
    if (wq.empty()) {
      writing = false;
      if (close_requested) close_stdin_now();
      return;
    }
    writing = true;
    net::async_write(
        in, net::buffer(wq.front()),
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_written(ec); });
  }

  void on_written(error_code ec) {
    queued -= wq.front().size();
    wq.pop_front();
    if (!ec) return write_next();
    for (const auto& d : wq) queued -= d.size();
    wq.clear();
    writing = false;
    const bool report = !stdin_dead && ec != net::error::operation_aborted;
    close_stdin_now();
    if (report)
      emit([why = ec.message()](impl& self) {
        if (self.ev.on_stdin_error) self.ev.on_stdin_error(why);
      });
  }

  void close_stdin_now() {
    stdin_dead = true;
    error_code ignored;
    in.close(ignored);
  }

  // ---- exit -----------------------------------------------------------------------------

  void watch_exit() {
    pidfd.async_wait(net::posix::descriptor_base::wait_read,
                     [self = shared_from_this()](error_code ec) { self->on_pidfd(ec); });
  }

  void on_pidfd(error_code ec) {
    if (ec == net::error::operation_aborted) return;
    child_exit x;
    {
      std::lock_guard lock(pid_mtx);
      // The leader is a zombie now, so its group id cannot be recycled yet: clean up the rest of
      // the group (helpers it started) before reaping.
      ::kill(-pid, SIGKILL);
      siginfo_t info{};
      int rc = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG);
      if (rc == 0 && info.si_pid == 0) {  // not exited after all
        if (!ec) watch_exit();
        return;
      }
      reaped = true;
      if (rc == 0 && info.si_code == CLD_EXITED)
        x.code = info.si_status;
      else if (rc == 0)
        x.signal = info.si_status;
    }
    kill_timer.cancel();
    result = x;
    exited = true;
    if (out.open || err.open) {
      drain_timer.expires_after(opt.drain_timeout);
      drain_timer.async_wait([self = shared_from_this()](error_code tec) {
        if (tec) return;
        error_code ignored;
        self->out.d.close(ignored);
        self->err.d.close(ignored);
        self->out.open = self->err.open = false;
        self->maybe_report_exit();
      });
    }
    maybe_report_exit();
  }

  void maybe_report_exit() {
    if (!exited || exit_reported || out.open || err.open) return;
    exit_reported = true;
    drain_timer.cancel();
    close_stdin_now();
    emit([x = result](impl& self) {
      if (self.ev.on_exit) self.ev.on_exit(x);
    });
  }

  bool kill(int sig) {
    std::lock_guard lock(pid_mtx);
    if (pid <= 0 || reaped) return false;
    return ::kill(-pid, sig) == 0;
  }

  void terminate(std::chrono::milliseconds grace) {
    {
      std::lock_guard lock(pid_mtx);
      if (pid <= 0 || reaped || terminating) return;
      terminating = true;
      term_deadline = steady::now() + grace;
      ::kill(-pid, grace.count() > 0 ? SIGTERM : SIGKILL);
    }
    if (grace.count() <= 0) return;
    net::post(ex, [self = shared_from_this(), grace] {
      if (self->reaped) return;
      self->kill_timer.expires_after(grace);
      self->kill_timer.async_wait([self](error_code ec) {
        if (!ec) self->kill(SIGKILL);
      });
    });
  }

  strand_exec ex;
  strand cb;
  child_options opt;
  child_events ev;
  std::string spawn_error;  // set before the handle is returned, never changed
  std::atomic<bool> cancelled{false};

  // Internal strand only.
  net::local::stream_protocol::socket in;
  reader out, err;
  net::posix::stream_descriptor pidfd;
  net::steady_timer drain_timer, kill_timer;
  std::deque<std::string> wq;
  bool writing = false, close_requested = false, stdin_dead = false;
  bool exited = false, exit_reported = false;
  child_exit result;

  std::atomic<std::size_t> queued{0};
  std::atomic<bool> stdin_closing{false};

  std::mutex pid_mtx;  // guards pid signalling against reaping
  pid_t pid = -1;
  std::atomic<bool> reaped{false};
  bool terminating = false;
  steady::time_point term_deadline{};
};

child_process::child_process(std::shared_ptr<impl> p) : impl_(std::move(p)) {}

std::unique_ptr<child_process> child_process::spawn(io_runtime& rt, const strand& callbacks_on,
                                                    child_options options, child_events events) {
  if (options.argv.empty() || options.argv[0].empty())
    throw std::invalid_argument("patchbay::kit::child_process::spawn: empty argv");
  auto& ctx = *static_cast<net::io_context*>(rt.native_context());
  auto p = std::make_shared<impl>(ctx, callbacks_on, std::move(options), std::move(events));
  p->start();
  return std::unique_ptr<child_process>(new child_process(std::move(p)));
}

child_process::~child_process() {
  impl_->cancelled = true;
  // terminate() locks a mutex and posts the SIGKILL timer; either can throw (std::system_error,
  // std::bad_alloc). A destructor must not: report it and let the child be.
  try {
    impl_->terminate(impl_->opt.kill_grace);
  } catch (...) {
    detail::report_exception("child_process: terminate on destruction failed",
                             std::current_exception());
  }
}

const std::string& child_process::spawn_error() const { return impl_->spawn_error; }

int child_process::pid() const { return impl_->pid; }

bool child_process::write(std::string data) { return impl_->write(std::move(data)); }

void child_process::close_stdin() {
  impl_->stdin_closing = true;
  net::post(impl_->ex, [self = impl_] {
    self->close_requested = true;
    if (!self->writing) self->close_stdin_now();
  });
}

bool child_process::kill(int signal) { return impl_->kill(signal); }

void child_process::terminate(std::chrono::milliseconds grace) { impl_->terminate(grace); }

void child_process::cancel() { impl_->cancelled = true; }

}  // namespace patchbay::kit
