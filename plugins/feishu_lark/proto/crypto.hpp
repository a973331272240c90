// Feishu/Lark family: the cryptography of webhook deliveries (docs/protocols/feishu-lark.md §7),
// on OpenSSL's EVP API (digests, base64 and hex from patchbay/common).
//
//   key        = SHA-256(encrypt_key as UTF-8)                       (32 bytes → AES-256)
//   body       = {"encrypt":"<base64(IV[16] || AES-256-CBC(plaintext), PKCS#7)>"}
//   signature  = lowercase hex SHA-256(timestamp + nonce + encrypt_key + raw body bytes)
//
// Decryption uses strict PKCS#7 (as node-sdk; go-sdk trims to the outermost {…} instead, py-sdk
// unpads unchecked). Pure functions; thread-safe. Nothing here logs or returns key material.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace patchbay::plugins::feishu_family::crypto {

// The X-Lark-Signature value for a delivery.
std::string webhook_signature(std::string_view timestamp, std::string_view nonce,
                              std::string_view encrypt_key, std::string_view raw_body);

// Decrypts the value of the "encrypt" field. nullopt when the base64, the length (IV plus a
// positive multiple of 16) or the padding is wrong.
std::optional<std::string> decrypt_event(std::string_view encrypt_key, std::string_view b64);
// The inverse, with a caller-chosen IV (16 bytes), for fakes and tests.
std::string encrypt_event(std::string_view encrypt_key, std::string_view plaintext,
                          std::string_view iv16);

}  // namespace patchbay::plugins::feishu_family::crypto
