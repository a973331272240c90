// Plugin files checked before dlopen (plugin/elf_check.hpp) and the loader across reloads: a file
// cut short, garbage with an ELF magic, a header alone, another machine's or a 32-bit build are
// refused with one reason and the fix (copy, then rename), never loaded (dlopen on them can kill
// the process with SIGBUS); a refusal before dlopen is not remembered, so the completed file
// loads later; a plugin copied into a plugin directory after the loader was made is found; a
// loaded file that is replaced or rewritten is refused with "restart the host".
#include <elf.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "plugin/elf_check.hpp"
#include "plugin/loader.hpp"

namespace {
namespace fs = std::filesystem;
using patchbay::plugin::loader;

std::string zoo(const std::string& name) {
  return std::string(PB_ZOO_DIR) + "/patchbay_" + name + ".so";
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

class LoaderFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("pb_loader_files_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  // Writes `bytes` as <dir>/patchbay_<name>.so the safe way (temporary name, then rename).
  std::string put(const std::string& name, const std::string& bytes) {
    fs::path tmp = dir / (".patchbay_" + name + ".so.tmp");
    std::ofstream(tmp, std::ios::binary | std::ios::trunc) << bytes;
    fs::path final_path = dir / ("patchbay_" + name + ".so");
    fs::rename(tmp, final_path);
    return final_path.string();
  }

  fs::path dir;
};

TEST_F(LoaderFiles, TruncatedCopyOfARealPluginIsRefusedWithSizesAndTheFix) {
  const std::string whole = slurp(zoo("zoo_valid"));
  ASSERT_GT(whole.size(), 4096u);
  for (size_t cut : {whole.size() / 2, whole.size() - 1, size_t{4096}, size_t{200}}) {
    std::string file = put("cut", whole.substr(0, cut));
    loader l({dir.string()});
    auto out = l.load("cut");
    ASSERT_FALSE(out.module) << "cut at " << cut;
    ASSERT_TRUE(out.error);
    const std::string line = out.error->to_string();
    EXPECT_NE(line.find(file + ": truncated or not a complete ELF shared object (size " +
                        std::to_string(cut) + ", headers end at "),
              std::string::npos)
        << line;
    EXPECT_NE(line.find("; fix: copy the file to a temporary name in the same directory, then "
                        "rename it into place"),
              std::string::npos)
        << line;
    EXPECT_EQ(line.find('\n'), std::string::npos);  // one line
  }
}

TEST_F(LoaderFiles, GarbageHeaderOnlyAndForeignBuildsAreRefused) {
  const std::string whole = slurp(zoo("zoo_valid"));
  struct variant {
    std::string name, bytes, reason;
  };
  std::string garbage =
      "\x7f"
      "ELF";
  for (int i = 0; i < 5000; ++i) garbage += static_cast<char>((i * 7919) & 0xff);
  std::string header_only = whole.substr(0, sizeof(Elf64_Ehdr));
  std::string arm = whole;  // same file, another machine in e_machine
  const uint16_t other_machine = EM_AARCH64;
  std::memcpy(arm.data() + offsetof(Elf64_Ehdr, e_machine), &other_machine, 2);
  std::string ia32 = whole;
  ia32[EI_CLASS] = ELFCLASS32;
  std::string exec = whole;
  const uint16_t et_exec = ET_EXEC;
  std::memcpy(exec.data() + offsetof(Elf64_Ehdr, e_type), &et_exec, 2);
  std::vector<variant> cases{
      {"text", "just some text, not a library\n", "not a shared object (no ELF header)"},
      {"empty", "", "not a shared object (no ELF header)"},
      {"garbage", garbage, "ELF"},
      {"header", header_only, "truncated or not a complete ELF shared object (size 64"},
      {"ia32", ia32, "a 32-bit ELF file; this host loads 64-bit plugins"},
      {"exec", exec, "not a shared object (ELF type 2"}};
#if defined(__x86_64__)
  cases.push_back({"arm", arm, "built for aarch64, this host runs on x86_64"});
#endif
  for (const auto& c : cases) {
    put(c.name, c.bytes);
    loader l({dir.string()});
    auto out = l.load(c.name);
    ASSERT_FALSE(out.module) << c.name;
    EXPECT_NE(out.error->reason.find(c.reason), std::string::npos)
        << c.name << ": " << out.error->reason;
    EXPECT_FALSE(out.error->fix.empty());
  }
  // The checks pass a complete plugin.
  patchbay::plugin::file_identity id;
  EXPECT_FALSE(patchbay::plugin::check_elf_file(zoo("zoo_valid"), &id));
  EXPECT_EQ(id.size, static_cast<int64_t>(whole.size()));
}

TEST_F(LoaderFiles, RefusalBeforeLoadingIsNotRememberedTheCompletedFileLoads) {
  const std::string whole = slurp(zoo("zoo_valid"));
  loader l({dir.string()});
  EXPECT_NE(l.load("late").error->reason.find("not found"), std::string::npos);
  put("late", whole.substr(0, whole.size() / 3));  // a copy still under way
  auto half = l.load("late");
  ASSERT_FALSE(half.module);
  EXPECT_NE(half.error->reason.find("truncated"), std::string::npos);
  put("late", whole);  // finished, renamed into place
  auto full = l.load("late");
  ASSERT_TRUE(full.module) << full.error->to_string();
  EXPECT_EQ(full.module->name, "zoo_valid");
  EXPECT_EQ(l.load("late").module.get(), full.module.get());  // unchanged file: same module
}

TEST_F(LoaderFiles, NewDirectoryFromAReloadIsSearched) {
  fs::path other = dir / "more";
  fs::create_directories(other);
  fs::copy_file(zoo("good"), other / "patchbay_extra.so");
  loader l({dir.string()});
  EXPECT_FALSE(l.load("extra").module);
  l.set_dirs({dir.string(), other.string()});
  auto out = l.load("extra");
  ASSERT_TRUE(out.module) << out.error->to_string();
  EXPECT_EQ(out.module->version, "1.2.3");
}

TEST_F(LoaderFiles, ReplacedOrRewrittenLoadedFileIsRefusedRestartNeeded) {
  loader l({dir.string()});
  put("swap", slurp(zoo("zoo_valid")));
  auto first = l.load("swap");
  ASSERT_TRUE(first.module) << first.error->to_string();
  // A new build moved into place (new inode): refused, never a second build beside the first.
  put("swap", slurp(zoo("zoo_minor0")));
  auto again = l.load("swap");
  ASSERT_FALSE(again.module);
  EXPECT_NE(again.error->reason.find("plugin file changed since it was loaded"), std::string::npos)
      << again.error->reason;
  EXPECT_NE(again.error->fix.find("restart the host to use the new build"), std::string::npos);
  // The module loaded first is still what it was (nothing was unloaded).
  EXPECT_EQ(first.module->name, "zoo_valid");

  // Rewritten in place (same inode, new modification time).
  loader l2({dir.string()});
  put("inplace", slurp(zoo("zoo_valid")));
  ASSERT_TRUE(l2.load("inplace").module);
  fs::path p = dir / "patchbay_inplace.so";
  fs::last_write_time(p, fs::last_write_time(p) + std::chrono::seconds(5));
  auto changed = l2.load("inplace");
  ASSERT_FALSE(changed.module);
  EXPECT_NE(changed.error->reason.find("changed since it was loaded"), std::string::npos);
  // Removed.
  fs::remove(p);
  auto gone = l2.load(p.string());
  ASSERT_FALSE(gone.module);
  EXPECT_NE(gone.error->reason.find("removed since it was loaded"), std::string::npos);
}

}  // namespace
