#include "render/sse_output.hpp"

#include <boost/json.hpp>

namespace patchbay::render {
namespace json = boost::json;

sse_output::sse_output(std::shared_ptr<kit::http_stream> stream, turns::scheduler& sched,
                       std::chrono::milliseconds keepalive, metrics::gauge* clients)
    : stream_(std::move(stream)), sched_(sched), keepalive_(keepalive), clients_(clients) {
  if (clients_ != nullptr) clients_->add();
  arm();
}

sse_output::~sse_output() {
  if (timer_) sched_.cancel(timer_);
  close();
}

void sse_output::close() {
  stream_->close();
  if (clients_ != nullptr) clients_->sub();
  clients_ = nullptr;
}

void sse_output::arm() {
  timer_ = sched_.schedule(keepalive_, [this] {
    timer_ = 0;
    stream_->write(": keep-alive\n\n");
    arm();
  });
}

void sse_output::event(const char* name, const std::string& data_json) {
  // JSON never contains a raw newline, so one data line carries it.
  stream_->write(std::string("event: ") + name + "\ndata: " + data_json + "\n\n");
}

void sse_output::delta(std::string_view text) {
  event("output", json::serialize(json::object{{"text", text}}));
}

void sse_output::content(std::string_view text, bool ephemeral) {
  event("output",
        json::serialize(json::object{{"text", text}, {"content", true}, {"ephemeral", ephemeral}}));
}

void sse_output::attachment(const turns::attachment_spec& a) {
  json::object o{{"kind", a.kind}, {"name", a.name}, {"mime_type", a.mime_type}};
  if (!a.url.empty()) o["url"] = a.url;
  if (!a.caption.empty()) o["caption"] = a.caption;
  event("attachment", json::serialize(o));
}

void sse_output::error(std::string_view user_text) {
  event("error", json::serialize(json::object{{"message", user_text}}));
  close();
}

void sse_output::complete() {
  event("complete", "{}");
  close();
}

}  // namespace patchbay::render
