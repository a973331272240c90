#include "media_crypto.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <limits>

#include "patchbay/common/base64.hpp"
#include "patchbay/common/digest.hpp"

namespace patchbay::weixin {
namespace {

constexpr std::size_t block = 16;

std::optional<std::string> key_from_hex(std::string_view hex) {
  if (hex.size() != 2 * aes_key_size) return std::nullopt;
  return common::from_hex(hex);
}

}  // namespace

void aes_ecb_stream::ctx_free::operator()(evp_cipher_ctx_st* c) const noexcept {
  EVP_CIPHER_CTX_free(c);
}

aes_ecb_stream::aes_ecb_stream(mode m, std::string_view key) {
  if (key.size() != aes_key_size) return;
  ctx_.reset(EVP_CIPHER_CTX_new());
  if (!ctx_) return;
  const auto* k = reinterpret_cast<const unsigned char*>(key.data());
  if (EVP_CipherInit_ex(ctx_.get(), EVP_aes_128_ecb(), nullptr, k, nullptr,
                        m == mode::encrypt ? 1 : 0) != 1)
    ctx_.reset();
}

aes_ecb_stream::~aes_ecb_stream() = default;

bool aes_ecb_stream::update(std::string_view in, std::string& out) {
  if (!ctx_) return false;
  constexpr std::size_t max_piece = std::numeric_limits<int>::max() / 2;
  while (!in.empty()) {
    const std::size_t n = std::min(in.size(), max_piece);
    const std::size_t at = out.size();
    out.resize(at + n + block);
    int written = 0;
    if (EVP_CipherUpdate(ctx_.get(), reinterpret_cast<unsigned char*>(out.data() + at), &written,
                         reinterpret_cast<const unsigned char*>(in.data()),
                         static_cast<int>(n)) != 1) {
      out.resize(at);
      ctx_.reset();
      return false;
    }
    out.resize(at + static_cast<std::size_t>(written));
    bytes_in_ += n;
    in.remove_prefix(n);
  }
  return true;
}

bool aes_ecb_stream::finish(std::string& out) {
  if (!ctx_) return false;
  const std::size_t at = out.size();
  out.resize(at + block);
  int written = 0;
  const bool good =
      EVP_CipherFinal_ex(ctx_.get(), reinterpret_cast<unsigned char*>(out.data() + at), &written) ==
      1;
  out.resize(at + (good ? static_cast<std::size_t>(written) : 0));
  ctx_.reset();
  return good;
}

std::optional<std::string> aes_ecb_encrypt(std::string_view plain, std::string_view key) {
  aes_ecb_stream s(aes_ecb_stream::mode::encrypt, key);
  std::string out;
  out.reserve(cipher_size(plain.size()));
  if (!s.update(plain, out) || !s.finish(out)) return std::nullopt;
  return out;
}

std::optional<std::string> aes_ecb_decrypt(std::string_view cipher, std::string_view key) {
  if (cipher.empty() || cipher.size() % block != 0) return std::nullopt;
  aes_ecb_stream s(aes_ecb_stream::mode::decrypt, key);
  std::string out;
  out.reserve(cipher.size());
  if (!s.update(cipher, out) || !s.finish(out)) return std::nullopt;
  return out;
}

std::optional<std::string> inbound_media_key(std::string_view media_aes_key,
                                             std::string_view image_aeskey_hex) {
  if (auto k = key_from_hex(image_aeskey_hex)) return k;
  if (media_aes_key.empty()) return std::nullopt;
  auto decoded = common::base64_decode(media_aes_key);
  if (!decoded) return std::nullopt;
  if (decoded->size() == aes_key_size) return decoded;
  return key_from_hex(*decoded);
}

std::string outbound_aes_key_field(std::string_view key) {
  return common::base64_encode(common::hex(key));
}

}  // namespace patchbay::weixin
