// Compiles the ABI headers (and the C++ layer) as C++20 and checks the same layout as C11.
#include <gtest/gtest.h>

#include "layout_expect.h"
#include "patchbay/plugin.hpp"

PB_CHECK_LAYOUT();

extern "C" int pb_layout_c11_checked(void);

TEST(AbiLayout, CAndCxxAgree) { EXPECT_EQ(pb_layout_c11_checked(), PB_ABI_MAJOR); }

TEST(AbiLayout, HasFieldReadsStructSize) {
  pb_capabilities c{};
  c.struct_size = offsetof(pb_capabilities, reply_token);  // an "older" writer
  EXPECT_TRUE(PB_HAS_FIELD(&c, pb_capabilities, can_ephemeral));
  EXPECT_FALSE(PB_HAS_FIELD(&c, pb_capabilities, reply_token));
  EXPECT_FALSE(PB_HAS_FIELD(&c, pb_capabilities, max_edits_per_message));
}
