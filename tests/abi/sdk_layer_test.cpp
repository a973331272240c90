// The header-only C++ layer in isolation: the fail-closed barrier and exactly-once completions.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "patchbay/plugin.hpp"

namespace {
using namespace patchbay::sdk;

struct results {
  std::vector<std::pair<int32_t, std::string>> ops;  // (code, message or id)
};

void record(void* ud, const pb_op_result* r) {
  auto* res = static_cast<results*>(ud);
  if (r->error)
    res->ops.emplace_back(r->error->code, std::string(view(r->error->message)));
  else
    res->ops.emplace_back(PB_OK, std::string(view(r->message_id)));
}

TEST(SdkBarrier, ExceptionsBecomeErrorValues) {
  char buf[64];
  pb_error_buf eb{sizeof eb, 0, 0, buf, sizeof buf, 0};
  EXPECT_EQ(detail::barrier(&eb, [] { throw std::runtime_error("kaput"); }), PB_ERR_INTERNAL);
  EXPECT_EQ(std::string(buf, eb.message_size), "kaput");
  EXPECT_EQ(detail::barrier(&eb, [] { throw plugin_error(PB_ERR_AUTH, "no"); }), PB_ERR_AUTH);
  EXPECT_EQ(detail::barrier(&eb, [] { throw 7; }), PB_ERR_INTERNAL);
  EXPECT_EQ(std::string(buf, eb.message_size), "unknown exception");
  EXPECT_EQ(detail::barrier(&eb, [] {}), PB_OK);
}

TEST(SdkBarrier, ErrorMessageTruncatesOnUtf8Boundary) {
  char buf[5];
  pb_error_buf eb{sizeof eb, 0, 0, buf, sizeof buf, 0};
  detail::fill_error(&eb, PB_ERR_REJECTED, "ab\xE4\xBD\xA0xyz");  // "ab你xyz"
  EXPECT_EQ(eb.message_size, 5u);
  detail::fill_error(&eb, PB_ERR_REJECTED, "abc\xE4\xBD\xA0");  // would cut the 3-byte char
  EXPECT_EQ(eb.message_size, 3u);
}

TEST(SdkCompletion, ExactlyOnceAndDroppedMeansInternal) {
  results r;
  {
    completion c(&record, &r);
    c.succeed("m1");
    c.fail(PB_ERR_RETRYABLE, "too late");  // ignored
  }
  {
    completion c(&record, &r);  // never completed: reported when the last copy goes
    completion copy = c;
  }
  ASSERT_EQ(r.ops.size(), 2u);
  EXPECT_EQ(r.ops[0], (std::pair<int32_t, std::string>{PB_OK, "m1"}));
  EXPECT_EQ(r.ops[1].first, PB_ERR_INTERNAL);
}

class throws_on_send final : public channel {
 public:
  throws_on_send(patchbay::sdk::host h, create_info) : channel(h) {}
  void send(const pb_outbound_message&, completion) override {
    throw plugin_error(PB_ERR_RATE_LIMITED, "slow", std::chrono::milliseconds(900));
  }
};

TEST(SdkThunks, ThrowingOperationCompletesWithItsCode) {
  using t = detail::thunks<throws_on_send>;
  pb_create_args args{sizeof args, nullptr, {"x", 1}, {"{}", 2}};
  pb_instance* inst = nullptr;
  ASSERT_EQ(t::create(&args, &inst, nullptr), PB_OK);
  results r;
  pb_outbound_message m{};
  m.struct_size = sizeof m;
  t::send(inst, &m, &record, &r);
  t::edit(inst, nullptr, &record, &r);  // null request → invalid input, still completed
  ASSERT_EQ(r.ops.size(), 2u);
  EXPECT_EQ(r.ops[0], (std::pair<int32_t, std::string>{PB_ERR_RATE_LIMITED, "slow"}));
  EXPECT_EQ(r.ops[1].first, PB_ERR_INVALID_INPUT);
  t::destroy(inst);
}

}  // namespace
