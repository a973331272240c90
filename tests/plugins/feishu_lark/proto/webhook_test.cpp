// verify_webhook: every verdict, with the note's vectors where they apply.
#include <gtest/gtest.h>

#include "feishu_lark/proto/crypto.hpp"
#include "feishu_lark/proto/webhook.hpp"

namespace fam = patchbay::plugins::feishu_family;
namespace crypto = fam::crypto;

namespace {

constexpr int64_t kNow = 1'700'000'000;
const std::string kIv(16, '\x11');

std::string event_json(std::string_view token = "vtok") {
  return R"({"schema":"2.0","header":{"event_id":"ev1","event_type":"im.message.receive_v1",)"
         R"("create_time":"1700000000000","token":")" +
         std::string(token) +
         R"(","app_id":"cli_0123456789abcdef","tenant_key":"tk"},"event":{"message":{}}})";
}

std::string encrypted_body(const std::string& key, const std::string& plaintext) {
  return R"({"encrypt":")" + crypto::encrypt_event(key, plaintext, kIv) + "\"}";
}

struct signed_request {
  std::string body, ts, nonce, sig;
  fam::webhook_headers headers() const { return {ts, nonce, sig}; }
};

signed_request sign(const std::string& key, std::string body, int64_t ts = kNow) {
  signed_request r;
  r.body = std::move(body);
  r.ts = std::to_string(ts);
  r.nonce = "n0nce";
  r.sig = crypto::webhook_signature(r.ts, r.nonce, key, r.body);
  return r;
}

fam::webhook_config keyed() {
  fam::webhook_config c;
  c.encrypt_key = "test key";
  c.verification_token = "vtok";
  return c;
}

const fam::webhook_reject* rejected(const fam::webhook_verdict& v) {
  return std::get_if<fam::webhook_reject>(&v);
}

}  // namespace

TEST(Webhook, NoteVectorsSignedBodyIsAcceptedAndDecrypted) {
  // The note's signature vector covers this exact raw body; "hello world" is not an event, so the
  // signature and decryption pass and the envelope check then refuses it as malformed (400).
  fam::webhook_config c = keyed();
  c.max_skew_s = 0;
  const std::string body = R"({"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="})";
  const fam::webhook_headers h{"1700000000", "abc",
                               "0c09d96c2aef2ad08179b3967ea410bbc91dab24ce3aec05af962cf1935844af"};
  auto v = fam::verify_webhook(c, h, body, kNow);
  ASSERT_TRUE(rejected(v));
  EXPECT_EQ(rejected(v)->reason, fam::reject_reason::malformed);
  EXPECT_EQ(rejected(v)->status, 400);
  // One flipped signature digit is a 401 before anything is decrypted.
  fam::webhook_headers bad = h;
  std::string sig(h.signature);
  sig[0] = '1';
  bad.signature = sig;
  v = fam::verify_webhook(c, bad, body, kNow);
  ASSERT_TRUE(rejected(v));
  EXPECT_EQ(rejected(v)->reason, fam::reject_reason::bad_signature);
  EXPECT_EQ(rejected(v)->status, 401);
}

TEST(Webhook, SignedEncryptedEventIsDispatched) {
  const auto req = sign("test key", encrypted_body("test key", event_json()));
  auto v = fam::verify_webhook(keyed(), req.headers(), req.body, kNow + 10);
  const auto* ev = std::get_if<fam::webhook_event>(&v);
  ASSERT_TRUE(ev) << (rejected(v) ? rejected(v)->detail : "");
  EXPECT_EQ(ev->json, event_json());
  EXPECT_EQ(ev->env.event_id, "ev1");
  EXPECT_EQ(ev->env.event_type, "im.message.receive_v1");
  // Upper-case hex in the header is the same signature.
  signed_request upper = req;
  for (char& ch : upper.sig) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_TRUE(std::holds_alternative<fam::webhook_event>(
      fam::verify_webhook(keyed(), upper.headers(), upper.body, kNow)));
}

TEST(Webhook, ForgedStaleUnsignedAndTamperedAreRefused) {
  const std::string body = encrypted_body("test key", event_json());
  // Signed with another key.
  auto forged = sign("other key", body);
  auto v = fam::verify_webhook(keyed(), forged.headers(), forged.body, kNow);
  ASSERT_TRUE(rejected(v));
  EXPECT_EQ(rejected(v)->reason, fam::reject_reason::bad_signature);
  // Body changed after signing (one space added): the raw bytes are what is signed.
  auto tampered = sign("test key", body);
  tampered.body.insert(1, " ");
  v = fam::verify_webhook(keyed(), tampered.headers(), tampered.body, kNow);
  ASSERT_TRUE(rejected(v));
  EXPECT_EQ(rejected(v)->reason, fam::reject_reason::bad_signature);
  // Stale (and from the future), also in milliseconds.
  for (int64_t ts : {kNow - 301, kNow + 301, (kNow - 301) * 1000}) {
    auto old = sign("test key", body, ts);
    v = fam::verify_webhook(keyed(), old.headers(), old.body, kNow);
    ASSERT_TRUE(rejected(v)) << ts;
    EXPECT_EQ(rejected(v)->reason, fam::reject_reason::stale) << ts;
  }
  auto fresh_ms = sign("test key", body, kNow * 1000);
  EXPECT_TRUE(std::holds_alternative<fam::webhook_event>(
      fam::verify_webhook(keyed(), fresh_ms.headers(), fresh_ms.body, kNow)));
  // Unsigned event.
  v = fam::verify_webhook(keyed(), {}, body, kNow);
  ASSERT_TRUE(rejected(v));
  EXPECT_EQ(rejected(v)->reason, fam::reject_reason::unsigned_request);
  EXPECT_EQ(rejected(v)->status, 401);
}

TEST(Webhook, TokenIsChecked) {
  const auto req = sign("test key", encrypted_body("test key", event_json("wrong")));
  auto v = fam::verify_webhook(keyed(), req.headers(), req.body, kNow);
  ASSERT_TRUE(rejected(v));
  EXPECT_EQ(rejected(v)->reason, fam::reject_reason::bad_token);
  // Plaintext mode: the token is the only check.
  fam::webhook_config plain;
  plain.verification_token = "vtok";
  EXPECT_TRUE(std::holds_alternative<fam::webhook_event>(
      fam::verify_webhook(plain, {}, event_json(), kNow)));
  v = fam::verify_webhook(plain, {}, event_json("nope"), kNow);
  ASSERT_TRUE(rejected(v));
  EXPECT_EQ(rejected(v)->status, 401);
  // v1 envelopes carry the token at the top level.
  const std::string v1 =
      R"({"ts":"1","uuid":"u1","token":"vtok","type":"event_callback","event":{"type":"message"}})";
  EXPECT_TRUE(std::holds_alternative<fam::webhook_event>(fam::verify_webhook(plain, {}, v1, kNow)));
}

TEST(Webhook, ChallengeInBothModes) {
  const std::string challenge =
      R"({"challenge":"ch-123","token":"vtok","type":"url_verification"})";
  fam::webhook_config plain;
  plain.verification_token = "vtok";
  auto v = fam::verify_webhook(plain, {}, challenge, kNow);
  const auto* c = std::get_if<fam::webhook_challenge>(&v);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->challenge, "ch-123");
  EXPECT_EQ(c->response_body, R"({"challenge":"ch-123"})");
  // Encrypted and unsigned: accepted by default (UNVERIFIED whether the platform signs it) …
  const std::string enc = encrypted_body("test key", challenge);
  EXPECT_TRUE(
      std::holds_alternative<fam::webhook_challenge>(fam::verify_webhook(keyed(), {}, enc, kNow)));
  // … and signed too.
  const auto s = sign("test key", enc);
  EXPECT_TRUE(std::holds_alternative<fam::webhook_challenge>(
      fam::verify_webhook(keyed(), s.headers(), s.body, kNow)));
  // Refused unsigned when configured so; refused with a bad token always.
  fam::webhook_config strict = keyed();
  strict.allow_unsigned_challenge = false;
  v = fam::verify_webhook(strict, {}, enc, kNow);
  ASSERT_TRUE(rejected(v));
  EXPECT_EQ(rejected(v)->reason, fam::reject_reason::unsigned_request);
  const std::string bad_token = R"({"challenge":"x","token":"zzz","type":"url_verification"})";
  v = fam::verify_webhook(keyed(), {}, encrypted_body("test key", bad_token), kNow);
  ASSERT_TRUE(rejected(v));
  EXPECT_EQ(rejected(v)->reason, fam::reject_reason::bad_token);
}

TEST(Webhook, MalformedAndUnconfigured) {
  auto v = fam::verify_webhook(fam::webhook_config{}, {}, event_json(), kNow);
  ASSERT_TRUE(rejected(v));
  EXPECT_EQ(rejected(v)->status, 403);
  EXPECT_EQ(rejected(v)->reason, fam::reject_reason::not_configured);

  fam::webhook_config c = keyed();
  c.max_body_bytes = 10;
  v = fam::verify_webhook(c, {}, event_json(), kNow);
  ASSERT_TRUE(rejected(v));
  EXPECT_EQ(rejected(v)->status, 413);

  for (const char* body : {"", "{", "[]", "\"x\""}) {
    v = fam::verify_webhook(keyed(), {}, body, kNow);
    ASSERT_TRUE(rejected(v)) << body;
    EXPECT_EQ(rejected(v)->status, 400) << body;
  }
  // With a key, a plaintext (even validly signed) body is refused: the platform always encrypts.
  auto plain = sign("test key", event_json());
  v = fam::verify_webhook(keyed(), plain.headers(), plain.body, kNow);
  ASSERT_TRUE(rejected(v));
  EXPECT_EQ(rejected(v)->reason, fam::reject_reason::bad_encryption);
  auto garbage = sign("test key", R"({"encrypt":"AAAA"})");
  v = fam::verify_webhook(keyed(), garbage.headers(), garbage.body, kNow);
  ASSERT_TRUE(rejected(v));
  EXPECT_EQ(rejected(v)->reason, fam::reject_reason::bad_encryption);
  // Decrypts but is no event.
  auto noevent = sign("test key", encrypted_body("test key", R"({"hello":1})"));
  v = fam::verify_webhook(keyed(), noevent.headers(), noevent.body, kNow);
  ASSERT_TRUE(rejected(v));
  EXPECT_EQ(rejected(v)->reason, fam::reject_reason::malformed);
  // No reason text carries the key or the token.
  EXPECT_EQ(rejected(v)->detail.find("test key"), std::string::npos);
  EXPECT_STREQ(fam::to_string(fam::reject_reason::stale), "stale");
}
