// patchbay-fake-openai: the request handler behind the kit HTTP server.
//
//   POST /v1/chat/completions   OpenAI-compatible; stream:true answers chat.completion.chunk SSE
//                               events one piece every `chunk_delay`, then finish + [DONE];
//                               stream:false one chat.completion. Bearer key checked (401).
//   GET  /v1/models             the one model.
//   POST /_fake/fault           arm a fault for the next chat requests (see README.md).
//   POST /_fake/config          {"chunk_delay_ms": N, "chunks": N}
//   GET  /_fake/requests        every /v1 request received, in order, with time.
//   POST /_fake/reset           forget requests and faults, restore the start-up config.
//
// Thread safety: handle() may run on any runtime thread; the shared state has one mutex. A
// streamed answer steps on its own kit timer and touches only its own state.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

namespace fake_openai {

struct fake_config {
  std::string api_key;
  std::string model = "fake-gpt";
  std::chrono::milliseconds chunk_delay{20};
  int chunks = 4;
};

struct fault {
  std::string kind;  // status | stall | drop | stream_error | delay
  int count = 1;     // requests it applies to
  unsigned status = 500;
  std::string code, type, message;
  std::chrono::milliseconds ms{0};
};

class fake_server {
 public:
  fake_server(patchbay::kit::io_runtime& rt, fake_config cfg);
  void handle(const std::shared_ptr<patchbay::kit::http_exchange>& ex);

 private:
  struct recorded {
    std::uint64_t seq;
    std::int64_t time_ms;
    std::string method, path, body;
    bool authorized;
  };

  // `with_faults` false: an answer a "delay" fault postponed (it takes no further fault).
  void chat(const std::shared_ptr<patchbay::kit::http_exchange>& ex, bool with_faults);
  void control(const std::shared_ptr<patchbay::kit::http_exchange>& ex);
  // Takes one use of the first armed fault, if any.
  bool take_fault(fault& out);
  fake_config config();

  patchbay::kit::io_runtime& rt_;
  const fake_config initial_;
  std::mutex mtx_;
  fake_config cfg_;
  std::deque<fault> faults_;
  std::deque<recorded> requests_;  // bounded: the oldest go first
  std::uint64_t seq_ = 0;
  std::uint64_t ids_ = 0;
};

}  // namespace fake_openai
