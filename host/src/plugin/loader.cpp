#include "plugin/loader.hpp"

#include <dlfcn.h>
#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <type_traits>
#include <vector>

#include "plugin/elf_check.hpp"
#include "plugin/host_api.hpp"

namespace patchbay::plugin {
namespace fs = std::filesystem;

std::string load_error::to_string() const { return file + ": " + reason + "; fix: " + fix; }

std::string plugin_file_name(const std::string& name) { return "patchbay_" + name + ".so"; }

namespace {

const char* tri(int32_t v) { return v == PB_YES ? "yes" : v == PB_NO ? "no" : "unspecified"; }

const char* unit_name(int32_t u) {
  switch (u) {
    case PB_UNIT_BYTES:
      return "bytes";
    case PB_UNIT_UTF16:
      return "utf16";
    case PB_UNIT_CODEPOINTS:
      return "codepoints";
    default:
      return "unspecified";
  }
}

const char* token_name(int32_t t) {
  switch (t) {
    case PB_REPLY_TOKEN_NONE:
      return "none";
    case PB_REPLY_TOKEN_SINGLE_USE:
      return "single-use";
    case PB_REPLY_TOKEN_REUSABLE:
      return "reusable";
    default:
      return "unspecified";
  }
}

bool valid_name(const char* s) {
  if (s == nullptr || *s == 0 || std::strlen(s) > 64) return false;
  for (const char* p = s; *p; ++p)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
      return false;
  return true;
}

// Minimum sizes a v1.0 plugin must fill in: everything defined in minor 0.
// (sizeof of a pointer member is what the ABI means here, hence the NOLINT.)
constexpr size_t min_descriptor =
    PB_SIZE_THROUGH(pb_plugin_descriptor, vtable);  // NOLINT(bugprone-sizeof-expression)
constexpr size_t min_caps = PB_SIZE_THROUGH(pb_capabilities, max_edits_per_message);
constexpr size_t min_vtable = PB_SIZE_THROUGH(pb_plugin_vtable, typing);

load_error refused(const std::string& file, std::string reason, std::string fix) {
  return load_error{file, std::move(reason), std::move(fix)};
}
load_outcome refuse(const std::string& file, std::string reason, std::string fix) {
  return load_outcome{nullptr, refused(file, std::move(reason), std::move(fix))};
}

// Loaded plugin libraries are never unloaded: a plugin thread that outlives its last instance
// (a detached completion, a library-internal worker) must never find its code unmapped. The list
// is reachable until exit, so leak checkers do not report it.
void retain_forever(std::shared_ptr<boost::dll::shared_library> lib) {
  static std::mutex mu;
  static auto* keep = new std::vector<std::shared_ptr<boost::dll::shared_library>>();
  std::lock_guard lk(mu);
  keep->push_back(std::move(lib));
}

// ---- the steps of loading one file, in order; each returns why it refuses the file, or nothing.

using refusal = std::optional<load_error>;

// The file exists and is a complete ELF shared object for this host (elf_check.hpp): a file still
// being copied, cut short or built for another machine is refused here, before dlopen could
// crash the process on it.
refusal check_file(const std::string& key, file_identity& id) {
  std::error_code ec;
  if (!fs::exists(key, ec))
    return refused(key, "file not found", "check the path, or build/install the plugin");
  if (auto problem = check_elf_file(key, &id))
    return refused(key, std::move(problem->reason), std::move(problem->fix));
  return std::nullopt;
}

// dlopen(RTLD_NOW | RTLD_LOCAL): every symbol the plugin needs resolves now.
refusal open_library(const std::string& key, boost::dll::shared_library& lib) {
  boost::system::error_code lec;
  lib.load(fs::path(key), boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, lec);
  if (lec || !lib.is_loaded()) {
    // Loads are serialized (one loader, one control thread), so no other dlopen races this.
    const char* dl = ::dlerror();  // NOLINT(concurrency-mt-unsafe)
    return refused(key, "cannot be loaded: " + (dl ? std::string(dl) : lec.message()),
                   "rebuild the plugin for this system; `ldd " + key + "` shows missing libraries");
  }
  return std::nullopt;
}

// The entry symbol of this host's ABI major; another major's entry is named in the refusal.
refusal find_entry(const std::string& key, boost::dll::shared_library& lib, pb_entry_fn& entry) {
  if (lib.has(PB_ENTRY_SYMBOL)) {
    entry = &lib.get<std::remove_pointer_t<pb_entry_fn>>(PB_ENTRY_SYMBOL);
    return std::nullopt;
  }
  std::string other;
  try {
    boost::dll::library_info info{fs::path(key)};
    for (const auto& sym : info.symbols())
      if (sym.rfind(PB_ENTRY_PREFIX, 0) == 0) other = sym;
  } catch (...) {
  }
  if (!other.empty())
    return refused(key,
                   "ABI major mismatch: plugin exports " + other + ", this host speaks ABI " +
                       std::to_string(PB_ABI_MAJOR) + "." + std::to_string(PB_ABI_MINOR) +
                       " (" PB_ENTRY_SYMBOL ")",
                   "use a build of the plugin for ABI " + std::to_string(PB_ABI_MAJOR) +
                       ", or a patchbay release that speaks the plugin's ABI");
  return refused(key, "entry symbol " PB_ENTRY_SYMBOL " not found: not a patchbay plugin",
                 "export the plugin with PATCHBAY_PLUGIN(...) or define "
                 "`PB_EXPORT const pb_plugin_descriptor* " PB_ENTRY_SYMBOL
                 "(const pb_host_info*)`");
}

const char* const rebuild = "rebuild the plugin against the patchbay plugin SDK headers";

// What the entry returned: present, of this host's major and a minor it knows, at least as large
// as minor 0 defines, with a valid name, a version and a platform.
refusal validate_descriptor(const std::string& key, const pb_plugin_descriptor* d) {
  if (d == nullptr)
    return refused(key, "entry returned no descriptor (the plugin refused this host)",
                   "check the plugin's stderr output; rebuild it against this host's SDK");
  if (d->struct_size < PB_SIZE_THROUGH(pb_plugin_descriptor, abi_minor))
    return refused(
        key,
        "malformed descriptor: struct_size " + std::to_string(d->struct_size) + " is too small",
        rebuild);
  if (d->abi_major != PB_ABI_MAJOR)
    return refused(key,
                   "ABI major mismatch: plugin built for ABI " + std::to_string(d->abi_major) +
                       "." + std::to_string(d->abi_minor) + ", host speaks " +
                       std::to_string(PB_ABI_MAJOR) + "." + std::to_string(PB_ABI_MINOR),
                   "use a build of the plugin for ABI " + std::to_string(PB_ABI_MAJOR));
  if (d->abi_minor > PB_ABI_MINOR)
    return refused(key,
                   "plugin needs ABI " + std::to_string(d->abi_major) + "." +
                       std::to_string(d->abi_minor) + ", newer than this host's " +
                       std::to_string(PB_ABI_MAJOR) + "." + std::to_string(PB_ABI_MINOR),
                   "upgrade patchbay, or use an older build of the plugin");
  if (d->struct_size < min_descriptor)
    return refused(key,
                   "malformed descriptor: struct_size " + std::to_string(d->struct_size) +
                       " is smaller than the ABI 1.0 minimum " + std::to_string(min_descriptor),
                   rebuild);
  if (!valid_name(d->name))
    return refused(key, "malformed descriptor: name must be 1-64 characters of [a-z0-9_-]",
                   rebuild);
  if (d->version == nullptr || d->platform == nullptr)
    return refused(key, "malformed descriptor: version and platform are required", rebuild);
  return std::nullopt;
}

// Copies the validated descriptor into `m`: its strings, the capabilities and the function table
// (zero-filled beyond what the plugin's minor defines), and checks every minor-0 function is set.
refusal copy_tables(const std::string& key, const pb_plugin_descriptor& d, plugin_module& m) {
  if (!read_sized(d.capabilities, min_caps, m.caps))
    return refused(key, "malformed descriptor: capabilities missing or struct_size too small",
                   rebuild);
  if (!read_sized(d.vtable, min_vtable, m.vt))
    return refused(key, "malformed descriptor: function table missing or struct_size too small",
                   rebuild);
  m.path = key;
  m.name = d.name;
  m.version = d.version;
  m.platform = d.platform;
  m.description = d.description ? d.description : "";
  m.abi_major = d.abi_major;
  m.abi_minor = d.abi_minor;
  const std::pair<const char*, const void*> fns[] = {
      {"create", reinterpret_cast<const void*>(m.vt.create)},
      {"start", reinterpret_cast<const void*>(m.vt.start)},
      {"stop", reinterpret_cast<const void*>(m.vt.stop)},
      {"destroy", reinterpret_cast<const void*>(m.vt.destroy)},
      {"send", reinterpret_cast<const void*>(m.vt.send)},
      {"edit", reinterpret_cast<const void*>(m.vt.edit)},
      {"typing", reinterpret_cast<const void*>(m.vt.typing)}};
  for (auto [fn_name, ptr] : fns)
    if (ptr == nullptr)
      return refused(key, std::string("malformed descriptor: function `") + fn_name + "` is NULL",
                     "implement every function of pb_plugin_vtable (complete unsupported "
                     "operations with PB_ERR_UNSUPPORTED)");
  return std::nullopt;
}

// Loads `key` (a canonical path): check, open, find the entry, call it once, validate and copy.
// Once dlopen succeeded the library is retained for the life of the process (its initializers,
// and perhaps its entry, ran) and `opened` is set: the outcome is final for this file.
load_outcome load_uncached(const std::string& key, file_identity& id, bool& opened) {
  auto fail = [](load_error e) { return load_outcome{nullptr, std::move(e)}; };
  if (auto why = check_file(key, id)) return fail(std::move(*why));
  auto lib = std::make_shared<boost::dll::shared_library>();
  if (auto why = open_library(key, *lib)) return fail(std::move(*why));
  opened = true;
  retain_forever(lib);
  pb_entry_fn entry = nullptr;
  if (auto why = find_entry(key, *lib, entry)) return fail(std::move(*why));
  const pb_plugin_descriptor* d = entry(host_info());
  if (auto why = validate_descriptor(key, d)) return fail(std::move(*why));
  auto m = std::make_shared<plugin_module>();
  if (auto why = copy_tables(key, *d, *m)) return fail(std::move(*why));
  m->library = lib;
  return load_outcome{std::move(m), std::nullopt};
}

}  // namespace

std::string describe_capabilities(const pb_capabilities& c) {
  std::string s = "limit=" + (c.max_message_size ? std::to_string(c.max_message_size) + " " +
                                                       unit_name(c.message_size_unit)
                                                 : std::string("none"));
  s += std::string(" edit=") + tri(c.can_edit) + " typing=" + tri(c.can_typing) +
       " ephemeral=" + tri(c.can_ephemeral) + " reply_token=" + token_name(c.reply_token) +
       " edit_interval=" + std::to_string(c.min_edit_interval_ms) + "ms" +
       " max_edits=" + (c.max_edits_per_message ? std::to_string(c.max_edits_per_message) : "none");
  if (c.single_consumer == PB_YES) s += " single_consumer=yes";
  return s;
}

loader::loader(std::vector<std::string> plugin_dirs) : dirs_(std::move(plugin_dirs)) {}

std::vector<std::string> loader::scan() const {
  std::vector<std::string> out;
  for (const auto& d : dirs_) {
    std::error_code ec;
    std::vector<std::string> here;
    for (auto it = fs::directory_iterator(d, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      if (it->path().extension() == ".so") here.push_back(it->path().string());
    }
    std::sort(here.begin(), here.end());
    out.insert(out.end(), here.begin(), here.end());
  }
  return out;
}

load_outcome loader::load(const std::string& name_or_path) {
  if (name_or_path.find('/') != std::string::npos) return load_file(name_or_path);
  std::string file = plugin_file_name(name_or_path);
  for (const auto& d : dirs_) {
    fs::path p = fs::path(d) / file;
    std::error_code ec;
    if (fs::exists(p, ec)) return load_file(p.string());
  }
  std::string searched;
  for (const auto& d : dirs_) searched += (searched.empty() ? "" : ", ") + d;
  return refuse(file,
                "plugin '" + name_or_path + "' not found (searched: " +
                    (searched.empty() ? "no plugin directories" : searched) + ")",
                "install the plugin there, add its directory to host.plugin_dirs, or set "
                "`plugin:` to the path of the .so");
}

load_outcome loader::load_file(const std::string& path) {
  std::error_code ec;
  fs::path canon = fs::weakly_canonical(fs::path(path), ec);
  std::string key = ec ? path : canon.string();
  if (auto it = cache_.find(key); it != cache_.end()) {
    // Loaded before: valid only while the file on disk is still the one that was loaded.
    auto now = identify_file(key);
    if (now && *now == it->second.id) return it->second.out;
    return refuse(key,
                  std::string("plugin file ") + (now ? "changed" : "removed") +
                      " since it was loaded (a library cannot be unloaded, and running a second "
                      "build of it beside the first is refused)",
                  "restart the host to use the new build; channels already running keep the "
                  "build they loaded");
  }
  file_identity id;
  bool opened = false;
  load_outcome out = load_uncached(key, id, opened);
  // Refusals before dlopen (missing, incomplete, not ELF, unresolved symbols) are not kept:
  // a later load (a reload after the file was fixed) checks the file again.
  if (opened) cache_[key] = cached{out, id};
  return out;
}

void loader::set_dirs(std::vector<std::string> plugin_dirs) { dirs_ = std::move(plugin_dirs); }

}  // namespace patchbay::plugin
