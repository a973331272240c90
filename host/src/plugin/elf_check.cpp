#include "plugin/elf_check.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

namespace patchbay::plugin {
namespace {

// The ELF class, byte order and machine of this host (what a loadable plugin must match).
constexpr unsigned char host_class = sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr unsigned char host_data = ELFDATA2LSB;
#else
constexpr unsigned char host_data = ELFDATA2MSB;
#endif
#if defined(__x86_64__)
constexpr uint16_t host_machine = EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t host_machine = EM_AARCH64;
#elif defined(__riscv)
constexpr uint16_t host_machine = EM_RISCV;
#elif defined(__powerpc64__)
constexpr uint16_t host_machine = EM_PPC64;
#elif defined(__s390x__)
constexpr uint16_t host_machine = EM_S390;
#else
constexpr uint16_t host_machine = EM_NONE;  // unknown: the machine is not checked
#endif

std::string machine_name(uint16_t m) {
  switch (m) {
    case EM_X86_64:
      return "x86_64";
    case EM_386:
      return "i386";
    case EM_AARCH64:
      return "aarch64";
    case EM_ARM:
      return "arm";
    case EM_RISCV:
      return "riscv";
    case EM_PPC64:
      return "ppc64";
    case EM_S390:
      return "s390x";
    default:
      return "machine " + std::to_string(m);
  }
}

// Closes the descriptor on every path out.
struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads exactly `n` bytes at `off`; false on a short read or an error.
bool read_at(int fd, void* out, size_t n, uint64_t off) {
  auto* p = static_cast<char*>(out);
  while (n > 0) {
    ssize_t r = ::pread(fd, p, n, static_cast<off_t>(off));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
    off += static_cast<uint64_t>(r);
  }
  return true;
}

// `off + count * entsize`, saturated (a corrupt header must not wrap around).
uint64_t table_end(uint64_t off, uint64_t count, uint64_t entsize) {
  const uint64_t bytes = count * entsize;  // both at most 16 bits wide: no overflow
  return off > UINT64_MAX - bytes ? UINT64_MAX : off + bytes;
}

const char* const copy_then_rename =
    "copy the file to a temporary name in the same directory, then rename it into place "
    "(e.g. `cp new.so dir/.patchbay_x.so.tmp && mv dir/.patchbay_x.so.tmp dir/patchbay_x.so`), and "
    "check that the copy is complete";

elf_problem truncated(uint64_t size, uint64_t end) {
  return {"truncated or not a complete ELF shared object (size " + std::to_string(size) +
              ", headers end at " + std::to_string(end) + ")",
          copy_then_rename};
}

file_identity identity_of(const struct stat& st) {
  file_identity id;
  id.device = st.st_dev;
  id.inode = st.st_ino;
  id.size = st.st_size;
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return id;
}

// The ELF checks on an open 64-bit file of `size` bytes whose first bytes are `eh`.
std::optional<elf_problem> check_elf64(int fd, const Elf64_Ehdr& eh, uint64_t size) {
  const char* rebuild = "rebuild the plugin for this system";
  if (eh.e_type != ET_DYN)
    return elf_problem{"not a shared object (ELF type " + std::to_string(eh.e_type) +
                           ": an executable or an object file)",
                       "point `plugin:` at a .so built with patchbay_add_plugin()"};
  if (host_machine != EM_NONE && eh.e_machine != host_machine)
    return elf_problem{"built for " + machine_name(eh.e_machine) + ", this host runs on " +
                           machine_name(host_machine),
                       rebuild};
  uint64_t end = sizeof(Elf64_Ehdr);
  // Program headers: the table, then every loadable segment's bytes in the file.
  if (eh.e_phnum > 0) {
    if (eh.e_phentsize != sizeof(Elf64_Phdr))
      return elf_problem{
          "malformed ELF header (program header entry size " + std::to_string(eh.e_phentsize) + ")",
          rebuild};
    const uint64_t ph_end = table_end(eh.e_phoff, eh.e_phnum, eh.e_phentsize);
    if (ph_end > size) return truncated(size, ph_end);
    end = std::max(end, ph_end);
    std::vector<Elf64_Phdr> ph(eh.e_phnum);
    if (!read_at(fd, ph.data(), ph.size() * sizeof(Elf64_Phdr), eh.e_phoff))
      return truncated(size, ph_end);
    for (const auto& p : ph)
      if (p.p_type == PT_LOAD || p.p_type == PT_DYNAMIC)
        end = std::max(end,
                       p.p_offset > UINT64_MAX - p.p_filesz ? UINT64_MAX : p.p_offset + p.p_filesz);
  } else {
    return elf_problem{"not a loadable shared object (no program headers)", rebuild};
  }
  // Section headers (at the end of a linked file: the first thing a cut-off copy loses).
  if (eh.e_shoff != 0) {
    uint64_t count = eh.e_shnum;
    if (count == 0 && eh.e_shentsize == sizeof(Elf64_Shdr) && eh.e_shoff <= size &&
        size - eh.e_shoff >= sizeof(Elf64_Shdr)) {
      Elf64_Shdr first{};  // extended numbering: the count is section 0's sh_size
      if (read_at(fd, &first, sizeof first, eh.e_shoff)) count = first.sh_size;
    }
    if (count > 0 && eh.e_shentsize != sizeof(Elf64_Shdr))
      return elf_problem{
          "malformed ELF header (section header entry size " + std::to_string(eh.e_shentsize) + ")",
          rebuild};
    end = std::max(end,
                   count > UINT32_MAX ? UINT64_MAX : table_end(eh.e_shoff, count, eh.e_shentsize));
  }
  if (end > size) return truncated(size, end);
  return std::nullopt;
}

}  // namespace

std::optional<file_identity> identify_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return identity_of(st);
}

std::optional<elf_problem> check_elf_file(const std::string& path, file_identity* id) {
  const elf_problem not_elf{"not a shared object (no ELF header)",
                            "point `plugin:` at a .so built with patchbay_add_plugin()"};
  fd_guard f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0)
    return elf_problem{
        "cannot be opened: " + std::error_code(errno, std::generic_category()).message(),
        "check the file's permissions"};
  struct stat st {};
  if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) return not_elf;
  if (id != nullptr) *id = identity_of(st);
  const auto size = static_cast<uint64_t>(st.st_size);
  unsigned char ident[EI_NIDENT] = {};
  if (size < SELFMAG || !read_at(f.fd, ident, SELFMAG, 0) ||
      std::memcmp(ident, ELFMAG, SELFMAG) != 0)
    return not_elf;
  if (size < EI_NIDENT || !read_at(f.fd, ident, EI_NIDENT, 0))
    return truncated(size, sizeof(Elf64_Ehdr));
  if (ident[EI_CLASS] != host_class)
    return elf_problem{
        std::string(ident[EI_CLASS] == ELFCLASS32 ? "a 32-bit" : "an unknown-class") +
            " ELF file; this host loads " + (host_class == ELFCLASS64 ? "64-bit" : "32-bit") +
            " plugins",
        "rebuild the plugin for this system"};
  if (ident[EI_DATA] != host_data)
    return elf_problem{"ELF file of the other byte order", "rebuild the plugin for this system"};
  if constexpr (host_class != ELFCLASS64) {
    return std::nullopt;  // 32-bit hosts: only the identification is checked
  } else {
    Elf64_Ehdr eh{};
    if (size < sizeof eh || !read_at(f.fd, &eh, sizeof eh, 0))
      return truncated(size, sizeof(Elf64_Ehdr));
    return check_elf64(f.fd, eh, size);
  }
}

}  // namespace patchbay::plugin
