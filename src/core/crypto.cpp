#include "core/crypto.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>
#include <stdexcept>

namespace linli::crypto {

namespace {

using Key = unsigned char[crypto_secretbox_KEYBYTES];

// The data key and the blind-index subkey live in one static block, locked
// in RAM so they never reach swap. Loaded at startup, before threads run.
struct Keys {
  Key data;
  unsigned char index[crypto_generichash_KEYBYTES];
};
Keys g_keys;
std::atomic<bool> g_loaded{false};

static_assert(crypto_kdf_KEYBYTES == crypto_secretbox_KEYBYTES);

std::string to_hex(const unsigned char* p, std::size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), p, n);
  out.pop_back();
  return out;
}

// sodium_init is cheap to guard once here, so a caller that forgot init()
// still gets an initialised library rather than undefined behaviour.
void ensure_init() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium initialisation failed");
}

bool fast_hash() {
  const char* v = std::getenv("LINLI_FAST_HASH");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

void install_key(const unsigned char* key) {
  static bool locked = (sodium_mlock(&g_keys, sizeof g_keys), true);  // best effort
  (void)locked;
  std::memcpy(g_keys.data, key, sizeof g_keys.data);
  crypto_kdf_derive_from_key(g_keys.index, sizeof g_keys.index, 1, "linlibix", g_keys.data);
  g_loaded = true;
}

Error key_error(const std::string& path, const std::string& zh, const std::string& en) {
  return Error::invalid("数据密钥文件 " + path + " " + zh + " / data key file " + path + " " + en);
}

Status load_env_key(const char* hex) {
  unsigned char key[crypto_secretbox_KEYBYTES];
  std::size_t len = 0;
  const char* end = nullptr;
  std::size_t hex_len = std::strlen(hex);
  if (hex_len != 2 * sizeof key ||
      sodium_hex2bin(key, sizeof key, hex, hex_len, nullptr, &len, &end) != 0 ||
      len != sizeof key || end != hex + hex_len) {
    return fail(Error::invalid(
        "环境变量 LINLI_DATA_KEY 应为64位十六进制 / LINLI_DATA_KEY must be 64 hex characters"));
  }
  install_key(key);
  sodium_memzero(key, sizeof key);
  return {};
}

// Reads an existing key file; the checks run on the open descriptor so the
// file cannot be swapped between check and read.
Status read_key_file(int fd, const std::string& path) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return fail(key_error(path, "无法读取", "cannot be read"));
  if (!S_ISREG(st.st_mode)) return fail(key_error(path, "不是普通文件", "is not a regular file"));
  if ((st.st_mode & 077) != 0) {
    return fail(key_error(path, "权限过宽，请执行 chmod 600",
                          "is readable by group or others; run chmod 600"));
  }
  if (st.st_size != static_cast<off_t>(crypto_secretbox_KEYBYTES)) {
    return fail(key_error(path, "长度应为32字节", "must be exactly 32 bytes"));
  }
  unsigned char key[crypto_secretbox_KEYBYTES];
  std::size_t got = 0;
  while (got < sizeof key) {
    ssize_t n = ::read(fd, key + got, sizeof key - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(key_error(path, "无法读取", "cannot be read"));
    got += static_cast<std::size_t>(n);
  }
  install_key(key);
  sodium_memzero(key, sizeof key);
  return {};
}

bool write_all(int fd, const unsigned char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// Without syncing the directory a crash could lose the new file's entry, and
// the next start would make a different key: old ciphertext lost for good.
void sync_parent(const std::filesystem::path& p) {
  auto dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// Makes a fresh key file. O_EXCL means two processes starting together cannot
// both write a key: the loser returns EEXIST and reads the winner's file.
Status create_key_file(const std::string& path, bool& raced) {
  std::filesystem::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    raced = errno == EEXIST;
    if (raced) return {};
    return fail(key_error(path, "无法创建", "cannot be created"));
  }
  unsigned char key[crypto_secretbox_KEYBYTES];
  crypto_secretbox_keygen(key);
  bool ok = write_all(fd, key, sizeof key) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    sodium_memzero(key, sizeof key);
    ::unlink(path.c_str());  // a short key file would be refused on every start
    return fail(key_error(path, "写入失败", "could not be written"));
  }
  sync_parent(p);
  install_key(key);
  sodium_memzero(key, sizeof key);
  return {};
}

}  // namespace

void init() { ensure_init(); }

std::string hash_password(std::string_view password) {
  ensure_init();
  char out[crypto_pwhash_STRBYTES];
  bool fast = fast_hash();
  auto ops = fast ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
  auto mem = fast ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
  if (crypto_pwhash_str(out, password.data(), password.size(), ops, mem) != 0) {
    throw std::bad_alloc();  // the only documented failure is running out of memory
  }
  return out;
}

bool verify_password(std::string_view encoded, std::string_view password) {
  ensure_init();
  if (encoded.empty() || encoded.size() >= crypto_pwhash_STRBYTES) return false;
  std::string z(encoded);  // the C API wants a NUL-terminated string
  return crypto_pwhash_str_verify(z.c_str(), password.data(), password.size()) == 0;
}

std::string random_token() {
  ensure_init();
  unsigned char buf[32];
  randombytes_buf(buf, sizeof buf);
  constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(sizeof buf, variant), '\0');
  sodium_bin2base64(out.data(), out.size(), buf, sizeof buf, variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::string token_hash(std::string_view token) {
  ensure_init();
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  return to_hex(h, sizeof h);
}

Status load_data_key(const std::string& path) {
  ensure_init();
  if (const char* hex = std::getenv("LINLI_DATA_KEY"); hex != nullptr && *hex != '\0') {
    return load_env_key(hex);
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    // Symlinks are followed on purpose: secret mounts (Kubernetes, Docker)
    // present the key as one; fstat then checks the real file.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      auto st = read_key_file(fd, path);
      ::close(fd);
      return st;
    }
    if (errno != ENOENT) {
      return fail(key_error(path, "无法打开", "cannot be opened"));
    }
    bool raced = false;
    auto st = create_key_file(path, raced);
    if (!raced) return st;
  }
  return fail(key_error(path, "无法打开", "cannot be opened"));
}

bool data_key_loaded() { return g_loaded; }

namespace {
// Random nonces from a per-thread pool refilled 4 KiB at a time: libsodium
// asks the kernel (getrandom) on every call, and an import of a million
// residents seals two million numbers (perf: crng_make_state and the
// syscall). A forked child would share its parent's pool, so fork empties
// it in the child (the only thread the child has is the forking one).
constexpr std::size_t kNoncePool = 170 * crypto_secretbox_NONCEBYTES;
thread_local std::array<unsigned char, kNoncePool> t_nonces;
thread_local std::size_t t_nonces_used = kNoncePool;

void fresh_nonce(unsigned char* out) {
  static const bool forks_empty_it =
      pthread_atfork(nullptr, nullptr, [] { t_nonces_used = kNoncePool; }) == 0;
  (void)forks_empty_it;
  if (t_nonces_used + crypto_secretbox_NONCEBYTES > kNoncePool) {
    randombytes_buf(t_nonces.data(), kNoncePool);
    t_nonces_used = 0;
  }
  auto* from = t_nonces.data() + t_nonces_used;
  std::memcpy(out, from, crypto_secretbox_NONCEBYTES);
  sodium_memzero(from, crypto_secretbox_NONCEBYTES);  // used once, then gone
  t_nonces_used += crypto_secretbox_NONCEBYTES;
}
}  // namespace

std::string seal(std::string_view plaintext) {
  if (!g_loaded) throw std::logic_error("crypto::seal before load_data_key");
  std::string box(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(box.data());
  fresh_nonce(nonce);
  // An empty string_view may carry a null pointer, which memmove must not see.
  const char* m = plaintext.empty() ? "" : plaintext.data();
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(m), plaintext.size(), nonce,
                        g_keys.data);
  constexpr int variant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_ENCODED_LEN(box.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), nonce, box.size(), variant);
  out.pop_back();  // the terminating NUL counted by ENCODED_LEN
  return out;
}

Result<std::string> open(std::string_view sealed) {
  if (!g_loaded) return fail(Error::internal("数据密钥未加载"));
  auto bad = [] { return fail(Error::invalid("加密数据已损坏或密钥不匹配")); };
  std::string box(sealed.size(), '\0');  // decoded is always shorter than base64
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(box.data()), box.size(), sealed.data(),
                        sealed.size(), nullptr, &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != sealed.data() + sealed.size() ||
      len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return bad();
  }
  auto* nonce = reinterpret_cast<const unsigned char*>(box.data());
  std::size_t clen = len - crypto_secretbox_NONCEBYTES;
  std::string plain(clen - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                 nonce + crypto_secretbox_NONCEBYTES, clen, nonce,
                                 g_keys.data) != 0) {
    return bad();
  }
  return plain;
}

std::string blind_index(std::string_view value) {
  if (!g_loaded) throw std::logic_error("crypto::blind_index before load_data_key");
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(value.data()),
                     value.size(), g_keys.index, sizeof g_keys.index);
  return to_hex(h, sizeof h);
}

}  // namespace linli::crypto
