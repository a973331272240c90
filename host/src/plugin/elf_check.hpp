// Checks a plugin file before dlopen: dlopen maps the file's segments and touches them, so a file
// that is still being copied, was cut short or is not an ELF shared object for this machine would
// kill the process with SIGBUS or SIGSEGV instead of failing cleanly. check_elf_file() opens the
// file once, reads its size (fstat) and its ELF header, program headers and section header table,
// and refuses anything that is not a complete 64-bit (host-sized) shared object of the host's
// byte order and machine whose headers and loadable segments lie within the file.
//
// Thread safety: plain functions, no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace patchbay::plugin {

// What identifies the file that was loaded: a replaced file (new inode, e.g. `mv` over it) or one
// rewritten in place (size or modification time differ) is a different file.
struct file_identity {
  uint64_t device = 0, inode = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  bool operator==(const file_identity&) const = default;
};

struct elf_problem {
  std::string reason;  // e.g. "truncated or not a complete ELF shared object (size N, ...)"
  std::string fix;
};

// nullopt when `path` is a complete ELF shared object for this host; `id` (optional) receives the
// identity of the file that was checked.
std::optional<elf_problem> check_elf_file(const std::string& path, file_identity* id = nullptr);

// The identity of the file at `path` now (stat, following symbolic links); nullopt if it is gone.
std::optional<file_identity> identify_file(const std::string& path);

}  // namespace patchbay::plugin
