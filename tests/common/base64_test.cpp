// base64 and base64url (patchbay/common/base64.hpp): RFC 4648 vectors, round trips of every byte,
// and the strictness the parsers of outside input rely on.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "patchbay/common/base64.hpp"

namespace {
using namespace patchbay::common;

TEST(Base64, KnownVectorsAndRejects) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_decode("Zm9vYg==").value_or("x"), "foob");
  EXPECT_FALSE(base64_decode("Zm9"));
  EXPECT_FALSE(base64_decode("Zm=v"));
  EXPECT_FALSE(base64_decode("Z!9v"));
}

TEST(Base64, RoundTripAndStrictness) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_EQ(base64_decode("Zm9v"), "foo");
  const std::string all = [] {
    std::string s;
    for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
    return s;
  }();
  EXPECT_EQ(base64_decode(base64_encode(all)), all);
  for (const char* bad : {"Zg=", "Z===", "Zg=a", "=Zg=", "Zm9v\n", " Zm9v", "Zm-v", "Zg==Zg=="})
    EXPECT_FALSE(base64_decode(bad)) << bad;
}

TEST(Base64Url, round_trips_rfc4648_vectors) {
  const std::pair<const char*, const char*> v[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"}};
  for (auto [plain, enc] : v) {
    EXPECT_EQ(base64url_encode(plain), enc);
    EXPECT_EQ(base64url_decode(enc), std::string(plain)) << enc;
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(base64url_decode(base64url_encode(all)), all);
}

TEST(Base64Url, decoding_is_strict) {
  for (const char* bad :
       {"Zg==", "Zm9v+", "Zm9v/", "Zm 9v", "Zm9\n", "Z", "Zm9vY", "Zh", "Zm9", "Zm9vYq"}) {
    // "Zh", "Zm9" and "Zm9vYq" leave non-zero bits after the last byte: second spellings of
    // "f", "fo" and "foob".
    EXPECT_FALSE(base64url_decode(bad)) << bad;
  }
  EXPECT_EQ(base64url_decode("Zm8"), std::string("fo"));
  EXPECT_FALSE(base64url_decode("Zm9vYmFy", 5));  // over the size bound
  EXPECT_TRUE(base64url_decode("Zm9vYmFy", 6));
}

}  // namespace
