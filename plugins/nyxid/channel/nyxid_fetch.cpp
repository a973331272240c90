// nyxid_channel: fetch_attachment of an attachment the relay's callback carried
// (docs/protocols/nyxid-relay.md §1.4 content.attachments[].url). The URL came in a verified
// callback; it is fetched with a plain GET and NO credential (neither the agent key nor a reply
// token goes to a URL the relay names), streamed into the host's file by the kit (body_file),
// capped at the host's max_bytes. An attachment without a url (a bare file_key/image_key) cannot be
// fetched: the relay offers no download endpoint for those.
#include <cstdint>
#include <fstream>
#include <string_view>

#include "nyxid_channel.hpp"

namespace patchbay::plugins::nyxid {
namespace {

constexpr std::chrono::milliseconds fetch_timeout{120'000};

}  // namespace

void nyxid_channel::fetch(std::string url, const std::string& dest_path, uint64_t max_bytes,
                          sdk::completion done) {
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
    return done.fail(PB_ERR_UNSUPPORTED,
                     "this attachment has no download URL (the relay gives only a platform key)");
  // Created (or truncated) now, so that a destination that cannot be written fails at once.
  if (!std::ofstream(dest_path, std::ios::binary | std::ios::trunc))
    return done.fail(PB_ERR_INTERNAL, "cannot write the destination file");
  kit::http_client_request req;
  req.url = std::move(url);
  req.headers.emplace_back("User-Agent", "patchbay-nyxid/" PATCHBAY_PLUGIN_VERSION);
  set_limits(req, cfg_.ca_file, cfg_.connect_timeout, cfg_.request_timeout, fetch_timeout);
  req.body_file = dest_path;
  req.max_body_bytes = max_bytes == 0 ? SIZE_MAX : max_bytes;
  // Only a 200's body goes into the file; the kit refuses a Content-Length past the cap up front.
  req.on_head = [](unsigned status, const kit::http_headers&) { return status == 200; };
  const uint64_t oid = owed_.owe(std::move(done));
  strand_.post([self = shared_from_this(), req = std::move(req), oid]() mutable {
    self->calls_.start(
        self->rt_, self->strand_, self->weak_from_this(), std::move(req),
        self->closed_ || self->stopping_,
        [self, oid](const std::string& err, const kit::http_client_response& resp) {
          self->check_stopped();
          auto d = self->owed_.take(oid);
          if (!d) return;
          if (err == "body too large") return d->fail(PB_ERR_INVALID_INPUT, "attachment too large");
          if (resp.status == 404 || resp.status == 410)
            return d->fail(PB_ERR_NOT_FOUND, "the relay no longer has this file");
          if (resp.status != 0 && resp.status != 200)
            return d->fail(
                resp.status >= 500 || resp.status == 429 ? PB_ERR_RETRYABLE : PB_ERR_REJECTED,
                "attachment download: HTTP " + std::to_string(resp.status));
          if (err.rfind("file: ", 0) == 0)
            return d->fail(PB_ERR_INTERNAL, "writing the destination file failed");
          if (!err.empty()) return d->fail(PB_ERR_RETRYABLE, "attachment download: " + err);
          const std::string_view mime = resp.header("Content-Type");
          d->succeed_fetch(mime.substr(0, mime.find(';')));
        });
  });
}

}  // namespace patchbay::plugins::nyxid
