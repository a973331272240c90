// Compiles the ABI headers (and the C++ layer) as C++20 and checks the same layout as C11.
#include <gtest/gtest.h>

#include <string_view>
#include <type_traits>

#include "layout_expect.h"
#include "patchbay/plugin.hpp"

PB_CHECK_LAYOUT();

// The entry point: one token in pb_plugin.h, the same exported name as ever, the prototype's type.
static_assert(std::string_view(PB_ENTRY_SYMBOL) == "patchbay_plugin_entry_v1");
static_assert(std::string_view(PB_ENTRY_PREFIX) == "patchbay_plugin_entry_v");
static_assert(std::is_same_v<decltype(&PB_ENTRY_NAME), pb_entry_fn>);

extern "C" int pb_layout_c11_checked(void);

TEST(AbiLayout, CAndCxxAgree) { EXPECT_EQ(pb_layout_c11_checked(), PB_ABI_MAJOR); }

TEST(AbiLayout, HasFieldReadsStructSize) {
  pb_capabilities c{};
  c.struct_size = offsetof(pb_capabilities, reply_token);  // an "older" writer
  EXPECT_TRUE(PB_HAS_FIELD(&c, pb_capabilities, can_ephemeral));
  EXPECT_FALSE(PB_HAS_FIELD(&c, pb_capabilities, reply_token));
  EXPECT_FALSE(PB_HAS_FIELD(&c, pb_capabilities, max_edits_per_message));
}
