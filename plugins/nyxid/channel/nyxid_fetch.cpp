// nyxid_channel: fetch_attachment of an attachment the relay's callback carried
// (docs/protocols/nyxid-relay.md §1.4 content.attachments[].url). The URL came in a verified
// callback; it is fetched with a plain GET and NO credential (neither the agent key nor a reply
// token goes to a URL the relay names), streamed into the host's file, capped at the host's
// max_bytes. An attachment without a url (a bare file_key/image_key) cannot be fetched: the relay
// offers no download endpoint for those.
#include <fstream>
#include <memory>

#include "nyxid_channel.hpp"

namespace patchbay::plugins::nyxid {
namespace {

constexpr std::chrono::milliseconds fetch_timeout{120'000};

struct file_sink {
  std::ofstream out;
  uint64_t max = 0;
  uint64_t written = 0;
  unsigned status = 0;
  bool too_large = false;
  bool write_failed = false;
  std::string mime;
};

uint64_t decimal(std::string_view s) {
  uint64_t n = 0;
  for (char c : s)
    if (c >= '0' && c <= '9') n = n * 10 + static_cast<uint64_t>(c - '0');
  return n;
}

}  // namespace

void nyxid_channel::fetch(std::string url, const std::string& dest_path, uint64_t max_bytes,
                          sdk::completion done) {
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
    return done.fail(PB_ERR_UNSUPPORTED,
                     "this attachment has no download URL (the relay gives only a platform key)");
  auto sink = std::make_shared<file_sink>();
  sink->out.open(dest_path, std::ios::binary | std::ios::trunc);
  if (!sink->out) return done.fail(PB_ERR_INTERNAL, "cannot write the destination file");
  sink->max = max_bytes == 0 ? UINT64_MAX : max_bytes;
  kit::http_client_request req;
  req.url = std::move(url);
  req.headers.emplace_back("User-Agent", "patchbay-nyxid/" PATCHBAY_PLUGIN_VERSION);
  set_limits(req, cfg_.ca_file, cfg_.connect_timeout, cfg_.request_timeout, fetch_timeout);
  req.on_head = [sink](unsigned status, const kit::http_headers& headers) {
    sink->status = status;
    if (status != 200) return false;
    sink->mime = std::string(kit::find_header(headers, "Content-Type"));
    const std::string_view len = kit::find_header(headers, "Content-Length");
    if (!len.empty() && decimal(len) > sink->max) sink->too_large = true;
    return !sink->too_large;
  };
  req.on_body_chunk = [sink](std::string_view piece) {
    sink->written += piece.size();
    if (sink->written > sink->max) {
      sink->too_large = true;
      return false;
    }
    sink->out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
    sink->write_failed = !sink->out;
    return !sink->write_failed;
  };
  const uint64_t oid = owed_.owe(std::move(done));
  strand_.post([self = shared_from_this(), req = std::move(req), sink, oid]() mutable {
    self->calls_.start(
        self->rt_, self->strand_, self->weak_from_this(), std::move(req),
        self->closed_ || self->stopping_,
        [self, sink, oid](const std::string& err, const kit::http_client_response&) {
          self->check_stopped();
          auto d = self->owed_.take(oid);
          if (!d) return;
          sink->out.close();
          if (sink->too_large) return d->fail(PB_ERR_INVALID_INPUT, "attachment too large");
          if (sink->status == 404 || sink->status == 410)
            return d->fail(PB_ERR_NOT_FOUND, "the relay no longer has this file");
          if (sink->status != 0 && sink->status != 200)
            return d->fail(
                sink->status >= 500 || sink->status == 429 ? PB_ERR_RETRYABLE : PB_ERR_REJECTED,
                "attachment download: HTTP " + std::to_string(sink->status));
          if (sink->write_failed || !sink->out)
            return d->fail(PB_ERR_INTERNAL, "writing the destination file failed");
          if (!err.empty()) return d->fail(PB_ERR_RETRYABLE, "attachment download: " + err);
          d->succeed_fetch(sink->mime.substr(0, sink->mime.find(';')));
        });
  });
}

}  // namespace patchbay::plugins::nyxid
