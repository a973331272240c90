// Digests, HMAC, hex and constant-time comparison (patchbay/common/digest.hpp).
#include <gtest/gtest.h>

#include <string>

#include "patchbay/common/digest.hpp"

namespace {
using namespace patchbay::common;

TEST(Digest, HashesAndConstantTimeCompare) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256("abc").size(), 32u);
  EXPECT_EQ(hex("\x01\xab"), "01ab");
  EXPECT_TRUE(equal_ct("abc", "abc"));
  EXPECT_TRUE(equal_ct("", ""));
  EXPECT_FALSE(equal_ct("abc", "abd"));
  EXPECT_FALSE(equal_ct("abc", "abcd"));
}

TEST(Digest, HmacSha256Rfc4231Case2) {
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Digest, Md5) {
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5("abc").size(), 16u);
}

TEST(Digest, FromHex) {
  EXPECT_EQ(from_hex("01aB"), std::string("\x01\xab", 2));
  EXPECT_EQ(from_hex(""), std::string());
  EXPECT_FALSE(from_hex("abc"));
  EXPECT_FALSE(from_hex("zz"));
  EXPECT_EQ(from_hex(hex(std::string("\0\xff", 2))), std::string("\0\xff", 2));
}

}  // namespace
