// A turn rendered as Server-Sent Events to a direct client (docs/architecture.md §5):
//   event: output    data: {"text": "..."}         a delta, or a content message
//   event: attachment data: {"kind", "name", "mime_type", "url", "caption"}  a file the agent sent
//                    (its url when it gave one; a path or inline bytes are not passed on)
//   event: error     data: {"message": "..."}      terminal
//   event: complete  data: {}                      terminal
// plus a keep-alive comment line every `keepalive` so proxies keep the stream open.
// `clients` (optional, outliving the output) counts the open streams: +1 while this output's
// stream is open, -1 when it closes (terminal event) or the output goes away.
// Threading: called on the router's strand only.
#pragma once

#include <chrono>
#include <memory>

#include "metrics/instruments.hpp"
#include "patchbay/kit/http_server.hpp"
#include "turns/router.hpp"

namespace patchbay::render {

class sse_output final : public turns::turn_output {
 public:
  sse_output(std::shared_ptr<kit::http_stream> stream, turns::scheduler& sched,
             std::chrono::milliseconds keepalive, metrics::gauge* clients = nullptr);
  ~sse_output() override;
  void delta(std::string_view text) override;
  void content(std::string_view text, bool ephemeral) override;
  void attachment(const turns::attachment_spec& a) override;
  void error(std::string_view user_text) override;
  void complete() override;

 private:
  void event(const char* name, const std::string& data_json);
  void arm();
  void close();

  std::shared_ptr<kit::http_stream> stream_;
  turns::scheduler& sched_;
  std::chrono::milliseconds keepalive_;
  uint64_t timer_ = 0;
  metrics::gauge* clients_;  // null once released (or never counted)
};

}  // namespace patchbay::render
