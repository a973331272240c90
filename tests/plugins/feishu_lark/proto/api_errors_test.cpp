// Error classification into the ABI's classes (docs/protocols/feishu-lark.md §5–6).
#include <gtest/gtest.h>

#include "feishu_lark/proto/api_errors.hpp"

namespace fam = patchbay::plugins::feishu_family;
using fam::api_op;
using fam::error_kind;

namespace {

void expect(api_op op, int http, int64_t code, int32_t pb, error_kind kind) {
  const auto e = fam::classify_api_error(op, http, code, "m");
  EXPECT_EQ(e.code, pb) << fam::to_string(op) << " " << http << " " << code;
  EXPECT_EQ(e.kind, kind) << fam::to_string(op) << " " << http << " " << code << " got "
                          << fam::to_string(e.kind);
}

}  // namespace

TEST(ApiErrors, SuccessIsOk) {
  EXPECT_TRUE(fam::classify_api_error(api_op::send, 200, 0, "ok").ok());
  EXPECT_FALSE(fam::classify_api_error(api_op::send, 200, 230001, "bad").ok());
}

TEST(ApiErrors, RateLimitsWithResetTime) {
  auto e = fam::classify_api_error(api_op::send, 429, 99991400, "limit", "5");
  EXPECT_EQ(e.code, PB_ERR_RATE_LIMITED);
  EXPECT_EQ(e.retry_after_ms, 5000);
  // 99991400 with HTTP 400 (older APIs) is a rate limit too; node-sdk wrongly says permission.
  e = fam::classify_api_error(api_op::edit, 400, 99991400, "limit", "0.25");
  EXPECT_EQ(e.code, PB_ERR_RATE_LIMITED);
  EXPECT_EQ(e.retry_after_ms, 250);
  // 230020 (IM frequency limit); node-sdk wrongly says target_revoked.
  e = fam::classify_api_error(api_op::reply, 400, 230020, "limit");
  EXPECT_EQ(e.code, PB_ERR_RATE_LIMITED);
  EXPECT_EQ(e.retry_after_ms, 0);  // unknown
  // A bare 429 from a proxy, and unusable headers.
  e = fam::classify_api_error(api_op::send, 429, 0, "", "soon");
  EXPECT_EQ(e.code, PB_ERR_RATE_LIMITED);
  EXPECT_EQ(e.retry_after_ms, 0);
  EXPECT_EQ(fam::classify_api_error(api_op::send, 429, 0, "", "1.0001").retry_after_ms, 1001);
  EXPECT_EQ(fam::classify_api_error(api_op::send, 429, 0, "", " 7 ").retry_after_ms, 7000);
  EXPECT_EQ(fam::classify_api_error(api_op::send, 429, 0, "", "999999999").retry_after_ms, 0);
}

TEST(ApiErrors, CredentialsAndAppState) {
  for (int64_t c : {99991661, 99991663, 99991665, 99991671})
    expect(api_op::send, 400, c, PB_ERR_AUTH, error_kind::token_invalid);
  expect(api_op::token, 400, 10014, PB_ERR_AUTH, error_kind::bad_credentials);
  expect(api_op::token, 400, 10015, PB_ERR_AUTH, error_kind::bad_credentials);
  expect(api_op::token, 400, 10003, PB_ERR_AUTH, error_kind::bad_credentials);
  expect(api_op::send, 400, 10003, PB_ERR_INVALID_INPUT, error_kind::invalid_input);
  expect(api_op::bot_info, 400, 99991662, PB_ERR_AUTH, error_kind::app_unavailable);
  expect(api_op::send, 400, 99991673, PB_ERR_AUTH, error_kind::app_unavailable);
  expect(api_op::send, 400, 230006, PB_ERR_AUTH, error_kind::app_unavailable);
  expect(api_op::send, 400, 99991672, PB_ERR_REJECTED, error_kind::permission);
  expect(api_op::send, 400, 230002, PB_ERR_REJECTED, error_kind::permission);
  expect(api_op::send, 400, 99991403, PB_ERR_REJECTED, error_kind::quota_exceeded);
}

TEST(ApiErrors, MessageSpecificCodes) {
  expect(api_op::send, 400, 230025, PB_ERR_INVALID_INPUT, error_kind::message_too_long);
  expect(api_op::edit, 400, 230072, PB_ERR_UNSUPPORTED, error_kind::edit_limit);
  expect(api_op::reply, 400, 230072, PB_ERR_REJECTED, error_kind::invalid_input);
  expect(api_op::edit, 400, 230075, PB_ERR_UNSUPPORTED, error_kind::edit_unsupported);
  expect(api_op::send, 400, 230075, PB_ERR_UNSUPPORTED, error_kind::permission);
  expect(api_op::edit, 400, 230071, PB_ERR_REJECTED, error_kind::permission);
  expect(api_op::patch_card, 400, 230031, PB_ERR_UNSUPPORTED, error_kind::edit_unsupported);
  expect(api_op::patch_card, 400, 200621, PB_ERR_INVALID_INPUT, error_kind::invalid_input);
  for (int64_t c : {230011, 230110, 232009, 99992354})
    expect(api_op::reply, 400, c, PB_ERR_NOT_FOUND, error_kind::not_found);
  expect(api_op::send, 400, 230049, PB_ERR_RETRYABLE, error_kind::transient);
}

TEST(ApiErrors, HttpFallbacks) {
  expect(api_op::send, 500, 0, PB_ERR_RETRYABLE, error_kind::transient);
  expect(api_op::send, 503, 1234567, PB_ERR_RETRYABLE, error_kind::transient);
  expect(api_op::send, 400, 1234567, PB_ERR_REJECTED, error_kind::unknown);
  expect(api_op::send, 401, 0, PB_ERR_AUTH, error_kind::unknown);
  expect(api_op::send, 404, 0, PB_ERR_NOT_FOUND, error_kind::not_found);
  expect(api_op::send, 0, 0, PB_ERR_RETRYABLE, error_kind::transient);
  auto e = fam::unreadable_answer(api_op::send, 200, "not JSON");
  EXPECT_EQ(e.code, PB_ERR_RETRYABLE);
  EXPECT_NE(e.message.find("unreadable"), std::string::npos);
  e = fam::unreadable_answer(api_op::send, 401, "html");
  EXPECT_EQ(e.code, PB_ERR_AUTH);
}

TEST(ApiErrors, MessagesAreClippedAndCarryTheCode) {
  const auto e = fam::classify_api_error(api_op::send, 400, 230001,
                                         std::string(1000, 'x') + "\nsecond line", {}, "LOG9");
  EXPECT_LT(e.message.size(), 400u);
  EXPECT_EQ(e.message.find('\n'), std::string::npos);
  EXPECT_NE(e.message.find("230001"), std::string::npos);
  EXPECT_NE(e.message.find("LOG9"), std::string::npos);
}
