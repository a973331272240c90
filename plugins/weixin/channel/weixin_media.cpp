// weixin_account: media both ways (docs/protocols/weixin-ilink.md §4.3).
//
// Upload: the file is read and encrypted on the caller's (host) thread; then, on the strand,
// getuploadurl → POST of the ciphertext to the CDN (3 attempts; a 4xx is final; the download
// parameter comes back in x-encrypted-param) → sendmessage with one media item, its client_id
// stable per operation. Download: GET of the CDN URL into the host's file (the kit's body_file),
// decrypted piece by piece on the way (media_file.hpp download_decoder as its filter), capped at
// the smaller of the host's and the config's limit.
// CDN calls carry no bot credential and every one has the media deadline (the official client
// sets none).
#include <fstream>
#include <memory>

#include "patchbay/common/digest.hpp"
#include "weixin/proto/media_file.hpp"
#include "weixin_account.hpp"

namespace patchbay::weixin {
namespace {

constexpr std::size_t cdn_answer_cap = std::size_t{64} * 1024;

std::string fetch_mime(media_kind kind, const std::string& head) {
  switch (kind) {
    case media_kind::image: {
      std::string m = sniff_image_mime(head);
      return m.empty() ? "image/jpeg" : m;
    }
    case media_kind::video:
      return "video/mp4";
    case media_kind::voice:
      return "audio/silk";
    case media_kind::file:
      break;
  }
  return sniff_image_mime(head);  // a file: only what its bytes say; the host keeps its own
}

}  // namespace

struct weixin_account::upload_op {
  uint64_t oid = 0;
  std::string to_user, token, client_id, filekey, name;
  media_kind kind = media_kind::file;
  std::string key;
  std::shared_ptr<const encrypted_file> file;
  std::string url;
  std::string last_error;
};

kit::http_client_request weixin_account::cdn_request(std::string method, std::string url) const {
  kit::http_client_request req;
  req.method = std::move(method);
  req.url = std::move(url);
  plugins::set_limits(req, cfg_.ca_file, std::min(cfg_.connect_timeout, cfg_.media_timeout),
                      cfg_.media_timeout, cfg_.media_timeout);
  req.max_body_bytes = cdn_answer_cap;
  return req;
}

void weixin_account::send_media(outbound_media msg, sdk::completion done) {
  if (msg.to_user.empty()) return done.fail(PB_ERR_INVALID_INPUT, "no recipient (conversation id)");
  auto op = std::make_shared<upload_op>();
  op->key = random_bytes(aes_key_size);
  op->filekey = common::hex(random_bytes(16));
  if (op->key.size() != aes_key_size || op->filekey.empty())
    return done.fail(PB_ERR_INTERNAL, "no random bytes for the media key");
  // Read and encrypt here, on the host's thread (a file of up to max_media_bytes).
  std::string error;
  auto file = encrypt_file(msg.path, op->key, msg.size, msg.md5_hex, cfg_.max_media_bytes, error);
  if (!file) return done.fail(PB_ERR_INVALID_INPUT, "attachment not sent: " + error);
  op->file = std::make_shared<const encrypted_file>(std::move(*file));
  op->kind = upload_kind(msg.kind, msg.mime_type);
  op->name = msg.name.empty() ? std::string("file") : msg.name;
  op->to_user = msg.to_user;
  if (!msg.turn_id.empty())
    op->client_id = make_stable_media_client_id(msg.turn_id, op->file->md5_hex, op->name);
  op->oid = owed_.owe(std::move(done));
  strand_.post([self = shared_from_this(), op, reply_context = std::move(msg.reply_context)] {
    auto fail = [&](pb_error_code code, const std::string& text) {
      if (auto d = self->owed_.take(op->oid)) d->fail(code, text);
    };
    if (self->closed_ || self->stopping_) return fail(PB_ERR_RETRYABLE, "channel stopped");
    if (op->client_id.empty())
      op->client_id = make_client_id(self->now_unix_ms(), self->random32());
    op->token = self->context_token_for(op->to_user, reply_context);
    if (op->token.empty())
      return fail(PB_ERR_INVALID_INPUT,
                  "no context_token for this user: iLink only delivers to users who wrote to "
                  "the bot");
    upload_request u;
    u.filekey = op->filekey;
    u.kind = op->kind;
    u.to_user = op->to_user;
    u.rawsize = op->file->rawsize;
    u.rawfilemd5 = op->file->md5_hex;
    u.aeskey_hex = common::hex(op->key);
    self->rest(
        path::getuploadurl, getuploadurl_body(self->cfg_.identity, u), self->cfg_.send_timeout,
        [self, op](const std::string& err, const kit::http_client_response& resp) {
          auto url =
              parse_upload_url(err, resp.status, resp.body, self->cfg_.cdn_base_url, op->filekey);
          if (!url.url) {
            self->log(PB_LOG_WARN, url.error.message);
            if (auto d = self->owed_.take(op->oid))
              d->fail(url.error.code, url.error.message,
                      std::chrono::milliseconds(url.error.retry_after_ms));
            return;
          }
          op->url = std::move(*url.url);
          self->cdn_upload(op, 1);
        });
  });
}

void weixin_account::cdn_upload(const std::shared_ptr<upload_op>& op, int attempt) {
  if (closed_ || stopping_) {
    if (auto d = owed_.take(op->oid)) d->fail(PB_ERR_RETRYABLE, "channel stopped");
    return;
  }
  kit::http_client_request req = cdn_request("POST", op->url);
  req.headers.emplace_back("Content-Type", "application/octet-stream");
  req.body = op->file->cipher;
  rest_calls_.start(
      rt_, strand_, weak_from_this(), std::move(req), closed_,
      [self = shared_from_this(), op, attempt](const std::string& err,
                                               const kit::http_client_response& resp) {
        auto r = classify_cdn_upload(err, resp.status, resp.header("x-encrypted-param"),
                                     resp.header("x-error-message"), resp.body);
        using what = cdn_upload_result::what;
        if (r.outcome != what::done) {
          const bool again = r.outcome == what::retry && attempt < cdn_upload_attempts &&
                             err != "cancelled" && !self->stopping_ && !self->closed_;
          self->log(PB_LOG_WARN, r.error + " (attempt " + std::to_string(attempt) + " of " +
                                     std::to_string(cdn_upload_attempts) +
                                     (again ? "; trying again)" : ")"));
          if (again) return self->cdn_upload(op, attempt + 1);
          if (auto d = self->owed_.take(op->oid))
            d->fail(r.outcome == what::final ? PB_ERR_REJECTED : PB_ERR_RETRYABLE,
                    "attachment not sent: " + r.error);
          return;
        }
        uploaded_media m;
        m.kind = op->kind;
        m.download_param = std::move(r.download_param);
        m.key = op->key;
        m.rawsize = op->file->rawsize;
        m.file_name = op->name;
        op->file.reset();  // the ciphertext is on the CDN now
        self->rest(
            path::sendmessage,
            sendmessage_media_body(self->cfg_.identity, op->to_user, m, op->token, op->client_id),
            self->cfg_.send_timeout,
            [self, op](const std::string& e, const kit::http_client_response& sent) {
              self->on_sent(op->oid, op->client_id, {}, e, sent);
            });
      });
}

void weixin_account::fetch(const media_fetch& f, sdk::completion done) {
  const uint64_t cap = f.max_bytes == 0 ? cfg_.max_media_bytes
                                        : std::min<uint64_t>(f.max_bytes, cfg_.max_media_bytes);
  auto decoder = std::make_shared<download_decoder>(f.ref.key, cap);
  if (!decoder->failure().empty()) return done.fail(PB_ERR_INTERNAL, decoder->failure());
  // Created (or truncated) now, so that a destination that cannot be written fails at once.
  if (!std::ofstream(f.dest_path, std::ios::binary | std::ios::trunc))
    return done.fail(PB_ERR_INTERNAL, "cannot write the destination file");
  kit::http_client_request req = cdn_request("GET", media_download_url(f.ref, cfg_.cdn_base_url));
  req.body_file = f.dest_path;
  req.max_body_bytes = decoder->max_cipher_bytes();
  req.body_file_filter = [decoder](std::string_view piece, bool last, std::string& plain) {
    return last ? decoder->finish(plain) : decoder->update(piece, plain);
  };
  // Nothing of an error answer goes into the file.
  req.on_head = [](unsigned status, const kit::http_headers&) { return status == 200; };
  const uint64_t oid = owed_.owe(std::move(done));
  const media_kind kind = f.ref.kind;
  strand_.post([self = shared_from_this(), req = std::move(req), decoder, oid, kind,
                cap]() mutable {
    if (self->closed_ || self->stopping_) {
      if (auto d = self->owed_.take(oid)) d->fail(PB_ERR_RETRYABLE, "channel stopped");
      return;
    }
    self->rest_calls_.start(
        self->rt_, self->strand_, self->weak_from_this(), std::move(req), self->closed_,
        [self, decoder, oid, kind, cap](const std::string& err,
                                        const kit::http_client_response& resp) {
          auto d = self->owed_.take(oid);
          if (!d) return;
          if (decoder->too_large() || err == "body too large")
            return d->fail(PB_ERR_INVALID_INPUT,
                           "attachment too large (limit " + std::to_string(cap) + " bytes)");
          if (resp.status == 404 || resp.status == 410)
            return d->fail(PB_ERR_NOT_FOUND, "the CDN no longer has this file");
          if (resp.status != 0 && resp.status != 200)
            return d->fail(
                resp.status >= 500 || resp.status == 429 ? PB_ERR_RETRYABLE : PB_ERR_REJECTED,
                "CDN download: HTTP " + std::to_string(resp.status));
          if (!decoder->failure().empty())
            return d->fail(PB_ERR_REJECTED, "CDN download: " + decoder->failure());
          if (err.rfind("file: ", 0) == 0)
            return d->fail(PB_ERR_REJECTED, "CDN download: writing the destination file failed");
          if (!err.empty()) return d->fail(PB_ERR_RETRYABLE, "CDN download: " + err);
          d->succeed_fetch(fetch_mime(kind, decoder->head()));
        });
  });
}

}  // namespace patchbay::weixin
