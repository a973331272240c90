// The loader against real shared objects: every refusal names the file, the reason and the fix,
// and a refusal never prevents loading the next plugin.
#include <gtest/gtest.h>

#include <string>

#include "plugin/loader.hpp"

using patchbay::plugin::loader;

namespace {

std::string zoo(const std::string& name) {
  return std::string(PB_ZOO_DIR) + "/patchbay_" + name + ".so";
}

struct refusal_case {
  std::string file;
  std::string reason_part;
  std::string fix_part;
};

class LoaderRefuses : public ::testing::TestWithParam<refusal_case> {};

TEST_P(LoaderRefuses, WithReasonAndFix) {
  const auto& c = GetParam();
  loader l({PB_ZOO_DIR});
  auto out = l.load(zoo(c.file));
  ASSERT_FALSE(out.module) << c.file << " was accepted";
  ASSERT_TRUE(out.error);
  EXPECT_NE(out.error->reason.find(c.reason_part), std::string::npos) << out.error->reason;
  EXPECT_NE(out.error->fix.find(c.fix_part), std::string::npos) << out.error->fix;
  EXPECT_NE(out.error->to_string().find("patchbay_" + c.file + ".so"), std::string::npos);
  // The next plugin still loads.
  EXPECT_TRUE(l.load(zoo("zoo_valid")).module);
}

INSTANTIATE_TEST_SUITE_P(
    Zoo, LoaderRefuses,
    ::testing::Values(
        refusal_case{"does_not_exist", "file not found", "build/install"},
        refusal_case{"zoo_text", "not a shared object", "patchbay_add_plugin"},
        refusal_case{"zoo_unresolved", "cannot be loaded", "ldd"},
        refusal_case{"zoo_no_entry", "entry symbol patchbay_plugin_entry_v1 not found",
                     "PATCHBAY_PLUGIN"},
        refusal_case{"zoo_entry_v2", "ABI major mismatch: plugin exports patchbay_plugin_entry_v2",
                     "ABI 1"},
        refusal_case{"zoo_major2", "ABI major mismatch: plugin built for ABI 2.", "ABI 1"},
        refusal_case{"zoo_newer_minor", "plugin needs ABI 1.5, newer than this host's 1.4",
                     "upgrade patchbay"},
        refusal_case{"zoo_short_descriptor", "struct_size 16 is smaller than the ABI 1.0 minimum",
                     "rebuild"},
        refusal_case{"zoo_null_function", "function `edit` is NULL", "PB_ERR_UNSUPPORTED"},
        refusal_case{"zoo_bad_name", "name must be 1-64 characters", "rebuild"},
        refusal_case{"zoo_entry_null", "entry returned no descriptor", "stderr"}),
    [](const auto& p) { return p.param.file; });

TEST(Loader, AcceptsValidCAndCxxPlugins) {
  loader l({PB_ZOO_DIR});
  auto c = l.load(zoo("zoo_valid"));
  ASSERT_TRUE(c.module) << c.error->to_string();
  EXPECT_EQ(c.module->name, "zoo_valid");
  EXPECT_EQ(c.module->abi_major, 1u);
  EXPECT_EQ(c.module->caps.max_message_size, 4000u);
  auto cxx = l.load("good");  // by name, searched in the plugin dirs
  ASSERT_TRUE(cxx.module) << cxx.error->to_string();
  EXPECT_EQ(cxx.module->version, "1.2.3");
  EXPECT_EQ(cxx.module->caps.reply_token, PB_REPLY_TOKEN_SINGLE_USE);
  EXPECT_EQ(patchbay::plugin::describe_capabilities(cxx.module->caps),
            "limit=2000 codepoints edit=yes typing=no ephemeral=unspecified "
            "reply_token=single-use edit_interval=250ms max_edits=none");
}

TEST(Loader, SameFileTwiceIsOneModule) {
  loader l({PB_ZOO_DIR});
  auto a = l.load("good");
  auto b = l.load(zoo("good"));
  ASSERT_TRUE(a.module && b.module);
  EXPECT_EQ(a.module.get(), b.module.get());
}

TEST(Loader, UnknownNameListsSearchedDirs) {
  loader l({PB_ZOO_DIR, "/nonexistent/dir"});
  auto out = l.load("nosuchplugin");
  ASSERT_TRUE(out.error);
  EXPECT_NE(out.error->reason.find("plugin 'nosuchplugin' not found"), std::string::npos);
  EXPECT_NE(out.error->reason.find("/nonexistent/dir"), std::string::npos);
  EXPECT_NE(out.error->fix.find("host.plugin_dirs"), std::string::npos);
}

TEST(Loader, ScanFindsEveryShapedObject) {
  loader l({PB_ZOO_DIR});
  auto files = l.scan();
  EXPECT_GE(files.size(), 15u);
  EXPECT_TRUE(std::is_sorted(files.begin(), files.end()));
}

}  // namespace
