// A test-local agent server: the kit HTTP server on 127.0.0.1:0 answering each request with the
// next scripted reply (status, content type, body pieces streamed one after another with delays,
// then the end of the response, or nothing more). It records every request and counts the
// streams whose client went away (to see that a cancelled turn's request was really aborted).
// Optionally HTTPS (kit test certificates). Header-only; thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

namespace agent_test {

struct piece {
  std::chrono::milliseconds after{0};  // delay before this piece
  std::string data;
};

struct reply {
  unsigned status = 200;
  std::string content_type = "application/x-ndjson";
  std::vector<piece> pieces;
  bool end = true;     // end the response after the last piece (else leave it open)
  bool stream = true;  // chunked (streamed); false = one response with all pieces as the body
  bool answer = true;  // false: never answer at all (the client's first-byte deadline)
};

inline std::vector<piece> lines(const std::vector<std::string>& l,
                                std::chrono::milliseconds gap = std::chrono::milliseconds(10)) {
  std::vector<piece> out;
  for (const auto& s : l) out.push_back({out.empty() ? std::chrono::milliseconds(0) : gap, s});
  return out;
}

class script_server {
 public:
  explicit script_server(std::string tls_cert = "", std::string tls_key = "") : rt_(2) {
    patchbay::kit::http_server_options o;
    o.listen = "127.0.0.1:0";
    o.tls_cert_file = std::move(tls_cert);
    o.tls_key_file = std::move(tls_key);
    server_ = std::make_unique<patchbay::kit::http_server>(
        rt_, o, [this](std::shared_ptr<patchbay::kit::http_exchange> ex) { handle(ex); });
    server_->start();
    endpoint_ = server_->local_endpoint();
  }
  ~script_server() {
    server_->stop(std::chrono::milliseconds(0));
    rt_.stop();
    server_.reset();
  }

  std::string url(const std::string& path = "/agent", bool tls = false) const {
    return (tls ? "https://" : "http://") + endpoint_ + path;
  }
  void push(reply r) {
    std::lock_guard lock(mtx_);
    replies_.push_back(std::move(r));
  }
  std::vector<patchbay::kit::http_request> requests() {
    std::lock_guard lock(mtx_);
    return requests_;
  }
  int peers_gone() const { return gone_->load(); }

 private:
  struct job : std::enable_shared_from_this<job> {
    std::shared_ptr<patchbay::kit::http_stream> stream;
    std::unique_ptr<patchbay::kit::timer> timer;
    std::vector<piece> pieces;
    std::size_t next = 0;
    bool end = true;
    void step() {
      if (stream->closed()) return;
      if (next >= pieces.size()) {
        if (end) stream->close();
        return;
      }
      stream->write(pieces[next++].data);
      if (next >= pieces.size()) {
        if (end) stream->close();
        return;
      }
      timer->after(pieces[next].after, [self = shared_from_this()](bool cancelled) {
        if (!cancelled) self->step();
      });
    }
  };

  void handle(const std::shared_ptr<patchbay::kit::http_exchange>& ex) {
    reply r;
    {
      std::lock_guard lock(mtx_);
      requests_.push_back(ex->request());
      if (!replies_.empty()) {
        r = std::move(replies_.front());
        replies_.pop_front();
      } else {
        r.status = 404;
        r.stream = false;
        r.pieces = {{{}, "no scripted reply"}};
      }
    }
    if (!r.answer) {
      std::lock_guard lock(mtx_);
      held_.push_back(ex);  // answered never (dropped with the server)
      return;
    }
    if (!r.stream) {
      patchbay::kit::http_response resp;
      resp.status = r.status;
      resp.content_type = r.content_type;
      for (const auto& p : r.pieces) resp.body += p.data;
      return ex->respond(std::move(resp));
    }
    auto j = std::make_shared<job>();
    j->stream = ex->start_stream(r.status, r.content_type);
    j->stream->on_peer_gone([gone = gone_] { ++*gone; });
    j->timer = std::make_unique<patchbay::kit::timer>(rt_);
    j->pieces = std::move(r.pieces);
    j->end = r.end;
    if (!r.end) {  // an open stream lives as long as its handle: keep it
      std::lock_guard lock(mtx_);
      open_.push_back(j->stream);
    }
    if (j->pieces.empty() || j->pieces.front().after.count() == 0) {
      j->step();
    } else {
      j->timer->after(j->pieces.front().after, [j](bool cancelled) {
        if (!cancelled) j->step();
      });
    }
  }

  patchbay::kit::io_runtime rt_;
  std::unique_ptr<patchbay::kit::http_server> server_;
  std::string endpoint_;
  std::mutex mtx_;
  std::deque<reply> replies_;
  std::vector<patchbay::kit::http_request> requests_;
  std::vector<std::shared_ptr<patchbay::kit::http_exchange>> held_;
  std::vector<std::shared_ptr<patchbay::kit::http_stream>> open_;
  std::shared_ptr<std::atomic<int>> gone_ = std::make_shared<std::atomic<int>>(0);
};

}  // namespace agent_test
