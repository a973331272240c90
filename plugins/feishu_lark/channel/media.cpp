// family_channel media: an outbound attachment (upload, then an image / file / audio / media
// message, as a reply or to the chat) and fetch_attachment (an inbound message's resource
// streamed into the host's file). Facts and limits: proto/media.hpp.
//
// Upload: the file's size is taken from the file itself (not trusted from the request) and
// checked against the platform's limits before a byte is read; the bytes are then read whole
// (≤ 30 MiB, a local file, on the strand) and checked against the host's MD5 when given. The
// multipart body is built in memory. An upload is not idempotent on the platform (each gives a
// new key), but the message that follows carries a uuid derived from the turn and the file's MD5,
// so a retried send never posts the file twice.
//
// Download: GET …/resources/:key?type=image|file with the kit writing a 2xx body straight into
// dest_path, capped at min(max_bytes, 100 MB): past the cap → PB_ERR_INVALID_INPUT; HTTP 404 or
// the not-found codes → PB_ERR_NOT_FOUND; the MIME type is the answer's Content-Type.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "feishu_lark/channel/channel_impl.hpp"
#include "feishu_lark/proto/media.hpp"
#include "patchbay/common/digest.hpp"

namespace patchbay::plugins::feishu_family {
namespace {

// Media transfers: the usual connect and idle deadlines, a longer total.
constexpr int64_t transfer_total_ms = 300'000;
// A 2xx JSON answer to a download is read back as an envelope when it is at most this big.
constexpr std::uintmax_t max_json_answer = std::uintmax_t{64} * 1024;

bool read_file(const std::string& path, uint64_t size, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.resize(size);
  in.read(out.data(), static_cast<std::streamsize>(size));
  return static_cast<uint64_t>(in.gcount()) == size &&
         in.peek() == std::ifstream::traits_type::eof();
}

std::string read_small(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

void family_channel::impl::send_media(const outbound_request& r, uint64_t oid) {
  auto fail = [&](pb_error_code code, const std::string& text) {
    if (auto d = owed_.take(oid)) d->fail(code, text);
  };
  const outbound_file& f = *r.file;
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(f.path, ec);
  if (ec) return fail(PB_ERR_INVALID_INPUT, "cannot read the attachment file: " + ec.message());
  upload_decision d = plan_upload(f.kind, f.name, f.mime_type, size);
  if (!d.error.ok()) return fail(static_cast<pb_error_code>(d.error.code), d.error.message);
  std::string bytes;
  if (!read_file(f.path, size, bytes))
    return fail(PB_ERR_INVALID_INPUT, "cannot read the attachment file (it changed size?)");
  const std::string md5 = common::md5_hex(bytes);
  if (!f.md5_hex.empty() && f.md5_hex != md5)
    return fail(PB_ERR_INVALID_INPUT, "the attachment file does not match its MD5");
  std::string boundary = multipart_boundary(md5 + r.turn_id);
  for (int i = 0; bytes.find(boundary) != std::string::npos; ++i)
    boundary = multipart_boundary(md5 + std::to_string(i));
  std::string mime = f.mime_type.empty() ? mime_from_name(f.name) : f.mime_type;
  api_request req = upload_request(d.plan, mime, std::move(bytes), boundary);
  req.total_timeout_ms = transfer_total_ms;
  const api_op op = d.plan.image ? api_op::upload_image : api_op::upload_file;
  api_->call(op, std::move(req), {},
             [self = shared_from_this(), r, oid, plan = d.plan, md5](const api_call_result& res) {
               upload_result up;
               if (res.error.ok())
                 up = parse_upload_response(plan, res.http_status, res.body, res.ratelimit_reset);
               else
                 up.error = res.error;
               if (!up.error.ok()) {
                 self->log(PB_LOG_WARN, up.error.message);
                 if (auto c = self->owed_.take(oid))
                   c->fail(static_cast<pb_error_code>(up.error.code), up.error.message,
                           std::chrono::milliseconds(up.error.retry_after_ms));
                 return self->check_stopped();
               }
               if (self->closed_ || self->stopping_) {
                 if (auto c = self->owed_.take(oid)) c->fail(PB_ERR_RETRYABLE, "channel stopping");
                 return self->check_stopped();
               }
               const std::string seed = r.turn_id.empty() ? std::string()
                                                          : r.turn_id + "\n" + plan.msg_type +
                                                                "\n" + md5 + "\n" + r.file->name;
               self->deliver(r, media_message(plan.msg_type, up.key), seed,
                             [self, oid](api_op sent_op, const api_call_result& sent) {
                               self->settle_send(oid, sent_op, sent);
                             });
             });
}

void family_channel::impl::fetch(fetch_job j, sdk::completion done) {
  const uint64_t oid = owed_.owe(std::move(done));
  strand_.post([self = shared_from_this(), j = std::move(j), oid] {
    auto fail = [&](pb_error_code code, const std::string& text) {
      if (auto d = self->owed_.take(oid)) d->fail(code, text);
    };
    if (self->closed_ || self->stopping_) return fail(PB_ERR_RETRYABLE, "channel stopping");
    const auto ref = parse_resource_id(j.attachment_id);
    if (!ref) return fail(PB_ERR_INVALID_INPUT, "not a Feishu/Lark attachment id");
    if (j.message_id.empty()) return fail(PB_ERR_INVALID_INPUT, "no message id");
    if (j.dest_path.empty()) return fail(PB_ERR_INVALID_INPUT, "no destination file");
    const uint64_t cap = j.max_bytes > 0 && j.max_bytes < media_limit::download_bytes
                             ? j.max_bytes
                             : media_limit::download_bytes;
    api_request req = resource_request(j.message_id, *ref);
    req.body_file = j.dest_path;
    req.max_answer_bytes = cap;
    req.total_timeout_ms = transfer_total_ms;
    self->api_->call(
        api_op::resource, std::move(req), j.chat_id,
        [self, oid, cap, path = j.dest_path](const api_call_result& res) {
          auto c = self->owed_.take(oid);
          self->check_stopped();
          if (!c) return;
          if (res.transport == "body too large")
            return c->fail(PB_ERR_INVALID_INPUT, "the attachment is larger than the limit of " +
                                                     std::to_string(cap) + " bytes");
          if (!res.error.ok()) {
            self->log(PB_LOG_WARN, res.error.message);
            return c->fail(static_cast<pb_error_code>(res.error.code), res.error.message,
                           std::chrono::milliseconds(res.error.retry_after_ms));
          }
          const std::string type = media_type_of(res.content_type);
          if (type == "application/json") {
            // A JSON answer with a 2xx status is an error envelope, not the file.
            std::error_code ec;
            if (std::filesystem::file_size(path, ec) <= max_json_answer && !ec) {
              api_answer a = parse_api_answer(api_op::resource, res.http_status, read_small(path));
              if (!a.error.ok())
                return c->fail(static_cast<pb_error_code>(a.error.code), a.error.message);
            }
          }
          c->succeed_fetch(type);
        });
  });
}

}  // namespace patchbay::plugins::feishu_family
