// Webhook cryptography: the protocol note's test vectors (docs/protocols/feishu-lark.md §7), round
// trips and malformed input.
#include <gtest/gtest.h>

#include "feishu_lark/proto/crypto.hpp"
#include "patchbay/common/base64.hpp"

namespace crypto = patchbay::plugins::feishu_family::crypto;

TEST(Crypto, NoteTestVectorDecryptsToHelloWorld) {
  // Docs and SDK tests: key "test key", this ciphertext → "hello world".
  const auto plain =
      crypto::decrypt_event("test key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=");
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, "hello world");
  // The wrong key fails the padding check (or yields something else), never the plaintext.
  const auto wrong =
      crypto::decrypt_event("test kez", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=");
  EXPECT_TRUE(!wrong || *wrong != "hello world");
}

TEST(Crypto, NoteSignatureVector) {
  EXPECT_EQ(
      crypto::webhook_signature("1700000000", "abc", "test key",
                                R"({"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="})"),
      "0c09d96c2aef2ad08179b3967ea410bbc91dab24ce3aec05af962cf1935844af");
}

TEST(Crypto, EncryptWithTheVectorsIvReproducesIt) {
  const auto raw = patchbay::common::base64_decode("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=");
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->size(), 32u);
  EXPECT_EQ(crypto::encrypt_event("test key", "hello world", raw->substr(0, 16)),
            "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=");
  const std::string long_text(1000, 'q');
  const std::string iv(16, '\x07');
  EXPECT_EQ(crypto::decrypt_event("k", crypto::encrypt_event("k", long_text, iv)), long_text);
  EXPECT_EQ(crypto::decrypt_event("k", crypto::encrypt_event("k", "", iv)), "");
  EXPECT_EQ(crypto::encrypt_event("k", "x", "short"), "");
}

TEST(Crypto, MalformedCiphertextIsRejected) {
  EXPECT_FALSE(crypto::decrypt_event("test key", ""));
  EXPECT_FALSE(crypto::decrypt_event("test key", "not base64!"));
  // IV only, no ciphertext block.
  EXPECT_FALSE(
      crypto::decrypt_event("test key", patchbay::common::base64_encode(std::string(16, 'a'))));
  // Not a multiple of the block size.
  EXPECT_FALSE(
      crypto::decrypt_event("test key", patchbay::common::base64_encode(std::string(40, 'a'))));
  // A flipped last byte breaks the PKCS#7 padding.
  auto raw = *patchbay::common::base64_decode("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=");
  raw.back() = static_cast<char>(raw.back() ^ 0x55);
  const auto broken = crypto::decrypt_event("test key", patchbay::common::base64_encode(raw));
  EXPECT_TRUE(!broken || *broken != "hello world");
}
