#include "cdn_store.hpp"

#include "patchbay/common/digest.hpp"

#include <openssl/evp.h>

#include <memory>

namespace patchbay::fakes::ilink {
using patchbay::common::from_hex;
using patchbay::common::md5_hex;

namespace {

constexpr std::size_t max_pending = 256;
constexpr std::size_t max_bytes = 64u << 20;

using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::optional<std::string> aes_ecb(std::string_view in, std::string_view key, bool encrypt) {
  if (key.size() != 16) return std::nullopt;
  cipher_ctx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) return std::nullopt;
  const auto* k = reinterpret_cast<const unsigned char*>(key.data());
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_128_ecb(), nullptr, k, nullptr, encrypt ? 1 : 0) != 1)
    return std::nullopt;
  std::string out(in.size() + 16, '\0');
  int n1 = 0;
  int n2 = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (EVP_CipherUpdate(ctx.get(), o, &n1, reinterpret_cast<const unsigned char*>(in.data()),
                       static_cast<int>(in.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), o + n1, &n2) != 1) {
    return std::nullopt;
  }
  out.resize(static_cast<std::size_t>(n1) + static_cast<std::size_t>(n2));
  return out;
}

}  // namespace

std::string aes128_ecb_encrypt(std::string_view plain, std::string_view key) {
  return aes_ecb(plain, key, true).value_or(std::string());
}

std::optional<std::string> aes128_ecb_decrypt(std::string_view cipher, std::string_view key) {
  if (cipher.empty() || cipher.size() % 16 != 0) return std::nullopt;
  return aes_ecb(cipher, key, false);
}

void cdn_store::expect(std::string upload_param, expected_upload u) {
  if (!pending_.count(upload_param)) pending_order_.push_back(upload_param);
  pending_[std::move(upload_param)] = std::move(u);
  while (pending_order_.size() > max_pending) {
    pending_.erase(pending_order_.front());
    pending_order_.pop_front();
  }
}

upload_result cdn_store::upload(std::string_view upload_param, std::string_view filekey,
                                std::string_view body, std::string download_param) {
  const auto it = pending_.find(std::string(upload_param));
  if (it == pending_.end()) return {400, "unknown encrypted_query_param", {}};
  const expected_upload& u = it->second;
  if (filekey != u.filekey) return {400, "filekey does not match getuploadurl", {}};
  if (static_cast<std::int64_t>(body.size()) != u.filesize)
    return {400, "body size differs from filesize", {}};
  const auto key = from_hex(u.aeskey_hex);
  const auto plain = key ? aes128_ecb_decrypt(body, *key) : std::nullopt;
  if (!plain) return {400, "body does not decrypt with aeskey (AES-128-ECB, PKCS7)", {}};
  if (static_cast<std::int64_t>(plain->size()) != u.rawsize)
    return {400, "plaintext size differs from rawsize", {}};
  if (md5_hex(*plain) != u.rawfilemd5) return {400, "plaintext MD5 differs from rawfilemd5", {}};
  pending_.erase(it);
  put(download_param, std::string(body));
  return {200, {}, std::move(download_param)};
}

void cdn_store::put(std::string download_param, std::string ciphertext) {
  if (ciphertext.size() > max_bytes) return;
  bytes_ += ciphertext.size();
  file_order_.push_back(download_param);
  files_[std::move(download_param)] = std::move(ciphertext);
  while (bytes_ > max_bytes && !file_order_.empty()) {
    const auto it = files_.find(file_order_.front());
    if (it != files_.end()) {
      bytes_ -= it->second.size();
      files_.erase(it);
    }
    file_order_.pop_front();
  }
}

const std::string* cdn_store::download(std::string_view download_param) const {
  const auto it = files_.find(std::string(download_param));
  return it == files_.end() ? nullptr : &it->second;
}

void cdn_store::clear() {
  pending_.clear();
  pending_order_.clear();
  files_.clear();
  file_order_.clear();
  bytes_ = 0;
}

}  // namespace patchbay::fakes::ilink
