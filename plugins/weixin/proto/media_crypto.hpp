// The iLink CDN's cipher (docs/protocols/weixin-ilink.md §4.3): AES-128-ECB with PKCS7 padding,
// as a stream (a file is encrypted or decrypted in pieces, never whole in memory unless the
// caller wants it), and the two spellings of its key.
//
// Keys: an upload uses 16 random bytes, declared to getuploadurl as 32 hex characters (`aeskey`)
// and put in the message as base64 of that hex string (`aes_key`). An inbound `media.aes_key` is
// base64 of either the 16 raw bytes (images) or the 32-character hex string (file, voice, video);
// an image's `image_item.aeskey` (hex) wins when present.
//
// Thread safety: functions are pure; an aes_ecb_stream belongs to one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct evp_cipher_ctx_st;  // OpenSSL's EVP_CIPHER_CTX (kept out of this header)

namespace patchbay::weixin {

inline constexpr std::size_t aes_key_size = 16;

// Ciphertext size of `raw` plaintext bytes: PKCS7 always pads, so ceil((raw+1)/16)*16.
constexpr std::uint64_t cipher_size(std::uint64_t raw) { return (raw / 16 + 1) * 16; }

class aes_ecb_stream {
 public:
  enum class mode { encrypt, decrypt };
  // `key` must be 16 raw bytes; otherwise ok() is false and every call fails.
  aes_ecb_stream(mode m, std::string_view key);
  ~aes_ecb_stream();
  aes_ecb_stream(const aes_ecb_stream&) = delete;
  aes_ecb_stream& operator=(const aes_ecb_stream&) = delete;

  bool ok() const { return ctx_ != nullptr; }
  // Appends what `in` yields to `out` (whole blocks; decryption holds the last block back until
  // finish, which checks its padding). False on a cipher error.
  bool update(std::string_view in, std::string& out);
  // Appends the last block: encryption adds the padding, decryption checks and strips it. False
  // when the ciphertext was not a whole number of blocks or its padding is wrong (wrong key).
  bool finish(std::string& out);
  std::uint64_t bytes_in() const { return bytes_in_; }

 private:
  struct ctx_free {
    void operator()(evp_cipher_ctx_st* c) const noexcept;
  };
  std::unique_ptr<evp_cipher_ctx_st, ctx_free> ctx_;
  std::uint64_t bytes_in_ = 0;
};

// Whole buffers; nullopt on a bad key or (decrypt) bad ciphertext.
std::optional<std::string> aes_ecb_encrypt(std::string_view plain, std::string_view key);
std::optional<std::string> aes_ecb_decrypt(std::string_view cipher, std::string_view key);

// The 16-byte key of an inbound media item: `image_aeskey_hex` (image_item.aeskey) when it is 32
// hex characters, else `media_aes_key` (media.aes_key) decoded from base64 to either 16 raw bytes
// or 32 hex characters. nullopt when neither gives a key.
std::optional<std::string> inbound_media_key(std::string_view media_aes_key,
                                             std::string_view image_aeskey_hex);
// The message field `aes_key` of an upload: base64 of the key's 32 lower-case hex characters.
std::string outbound_aes_key_field(std::string_view key);

}  // namespace patchbay::weixin
