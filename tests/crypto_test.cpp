#include "core/crypto.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace linli;

constexpr const char* kHexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

// Saves and restores an environment variable around a test, so tests in the
// shared binary do not leak settings into each other.
class EnvGuard {
 public:
  explicit EnvGuard(const char* name) : name_(name) {
    if (const char* v = std::getenv(name)) old_ = v;
  }
  ~EnvGuard() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class CryptoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    setenv("LINLI_FAST_HASH", "1", 1);
    unsetenv("LINLI_DATA_KEY");
    char tmpl[] = "/tmp/linli_crypto_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void write_key(const fs::path& p, std::string_view bytes, mode_t mode) {
    std::ofstream(p, std::ios::binary) << bytes;
    fs::permissions(p, static_cast<fs::perms>(mode));
  }

  EnvGuard fast_{"LINLI_FAST_HASH"};
  EnvGuard key_{"LINLI_DATA_KEY"};
  fs::path dir_;
};

bool is_hex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST_F(CryptoTest, PasswordHashVerifies) {
  auto h = crypto::hash_password("正确的密码 correct horse");
  EXPECT_TRUE(h.starts_with("$argon2id$"));
  EXPECT_TRUE(crypto::verify_password(h, "正确的密码 correct horse"));
  EXPECT_FALSE(crypto::verify_password(h, "错误的密码"));
  EXPECT_FALSE(crypto::verify_password(h, ""));
  EXPECT_NE(h, crypto::hash_password("正确的密码 correct horse"));  // salted
}

TEST_F(CryptoTest, FastHashUsesMinimumLimits) {
  // MEMLIMIT_MIN is 8 KiB, OPSLIMIT_MIN 1: what LINLI_FAST_HASH=1 asks for.
  EXPECT_TRUE(crypto::hash_password("x").starts_with("$argon2id$v=19$m=8,t=1,"));
}

TEST_F(CryptoTest, VerifyRefusesGarbageEncodings) {
  EXPECT_FALSE(crypto::verify_password("", "x"));
  EXPECT_FALSE(crypto::verify_password("not a hash", "x"));
  EXPECT_FALSE(crypto::verify_password(std::string(500, '$'), "x"));
}

TEST_F(CryptoTest, TokensAreLongAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto t = crypto::random_token();
    ASSERT_EQ(t.size(), 43u);
    ASSERT_EQ(
        t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST_F(CryptoTest, TokenHashIsStableBlake2b256) {
  // Published BLAKE2b-256 digest of the empty string.
  EXPECT_EQ(crypto::token_hash(""),
            "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  auto t = crypto::random_token();
  EXPECT_EQ(crypto::token_hash(t), crypto::token_hash(t));
  EXPECT_EQ(crypto::token_hash(t).size(), 64u);
  EXPECT_TRUE(is_hex(crypto::token_hash(t)));
  EXPECT_NE(crypto::token_hash(t), crypto::token_hash(t + "x"));
}

TEST_F(CryptoTest, SealOpenRoundTrip) {
  setenv("LINLI_DATA_KEY", kHexKey, 1);
  ASSERT_TRUE(crypto::load_data_key((dir_ / "unused.key").string()));
  EXPECT_TRUE(crypto::data_key_loaded());
  for (std::string plain : {"", "13800138000", "11010519491231002X 北京市朝阳区"}) {
    auto sealed = crypto::seal(plain);
    EXPECT_EQ(sealed.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
              std::string::npos);
    auto opened = crypto::open(sealed);
    ASSERT_TRUE(opened) << opened.error().detail;
    EXPECT_EQ(*opened, plain);
  }
  EXPECT_NE(crypto::seal("same"), crypto::seal("same"));  // random nonce
  EXPECT_FALSE(fs::exists(dir_ / "unused.key"));          // env key wins
}

// Nonces come from a per-thread pool: every seal still takes a fresh one,
// across threads and across a fork (the child must not reuse its parent's
// pool).
TEST_F(CryptoTest, NoncesNeverRepeat) {
  setenv("LINLI_DATA_KEY", kHexKey, 1);
  ASSERT_TRUE(crypto::load_data_key((dir_ / "unused.key").string()));
  auto nonce = [](const std::string& sealed) { return sealed.substr(0, 32); };  // 24 bytes
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.insert(nonce(crypto::seal("x"))).second);
  std::vector<std::string> other(1000);
  std::thread t([&] {
    for (auto& s : other) s = nonce(crypto::seal("x"));
  });
  t.join();
  for (const auto& n : other) EXPECT_TRUE(seen.insert(n).second);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string n = nonce(crypto::seal("x"));
    (void)!write(fds[1], n.data(), n.size());
    _exit(0);
  }
  close(fds[1]);
  std::string from_child(32, '\0');
  ASSERT_EQ(read(fds[0], from_child.data(), from_child.size()), 32);
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(seen.insert(from_child).second) << "the child reused its parent's nonce";
  EXPECT_TRUE(seen.insert(nonce(crypto::seal("x"))).second);
}

TEST_F(CryptoTest, OpenRefusesTamperedInput) {
  setenv("LINLI_DATA_KEY", kHexKey, 1);
  ASSERT_TRUE(crypto::load_data_key((dir_ / "k").string()));
  auto sealed = crypto::seal("13800138000");
  for (std::size_t i : {0ul, sealed.size() / 2, sealed.size() - 3}) {
    std::string bad = sealed;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    auto r = crypto::open(bad);
    ASSERT_FALSE(r) << "position " << i;
    EXPECT_EQ(r.error().kind, ErrorKind::invalid);
  }
  EXPECT_FALSE(crypto::open(""));
  EXPECT_FALSE(crypto::open("not base64 at all!"));
  EXPECT_FALSE(crypto::open(sealed.substr(0, 20)));
  EXPECT_FALSE(crypto::open(sealed + "AAAA"));
}

TEST_F(CryptoTest, KeyFileCreatedPrivateAndReused) {
  auto path = dir_ / "nested" / "dir" / "data.key";
  ASSERT_TRUE(crypto::load_data_key(path.string()));
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  auto sealed = crypto::seal("张三丰");

  // Another key in between, then the file again: the old ciphertext opens.
  setenv("LINLI_DATA_KEY", kHexKey, 1);
  ASSERT_TRUE(crypto::load_data_key(path.string()));
  EXPECT_FALSE(crypto::open(sealed));
  unsetenv("LINLI_DATA_KEY");
  ASSERT_TRUE(crypto::load_data_key(path.string()));
  auto opened = crypto::open(sealed);
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, "张三丰");
}

TEST_F(CryptoTest, KeyFileOfWrongSizeRefused) {
  auto path = dir_ / "short.key";
  write_key(path, std::string(31, 'k'), 0600);
  auto st = crypto::load_data_key(path.string());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::invalid);
  EXPECT_NE(st.error().detail.find(path.string()), std::string::npos);
  EXPECT_NE(st.error().detail.find("32"), std::string::npos);
}

TEST_F(CryptoTest, KeyFileReadableByOthersRefused) {
  auto path = dir_ / "open.key";
  write_key(path, std::string(32, 'k'), 0640);
  auto st = crypto::load_data_key(path.string());
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().detail.find("chmod 600"), std::string::npos);
  EXPECT_NE(st.error().detail.find(path.string()), std::string::npos);
}

TEST_F(CryptoTest, EnvKeyHonoured) {
  // Seal under the env key, then load the same bytes from a file: it opens,
  // so the env value really was the key in use.
  setenv("LINLI_DATA_KEY", kHexKey, 1);
  ASSERT_TRUE(crypto::load_data_key((dir_ / "ignored.key").string()));
  auto sealed = crypto::seal("秘密");
  std::string raw;
  for (int i = 0; i < 32; ++i) raw += static_cast<char>(i);
  auto path = dir_ / "same.key";
  write_key(path, raw, 0600);
  unsetenv("LINLI_DATA_KEY");
  ASSERT_TRUE(crypto::load_data_key(path.string()));
  auto opened = crypto::open(sealed);
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, "秘密");
}

TEST_F(CryptoTest, MalformedEnvKeyRefused) {
  for (const char* bad : {"abc", "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                          "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00"}) {
    setenv("LINLI_DATA_KEY", bad, 1);
    auto st = crypto::load_data_key((dir_ / "k").string());
    ASSERT_FALSE(st) << bad;
    EXPECT_EQ(st.error().kind, ErrorKind::invalid);
  }
}

TEST_F(CryptoTest, BlindIndexDeterministicAndKeyed) {
  setenv("LINLI_DATA_KEY", kHexKey, 1);
  ASSERT_TRUE(crypto::load_data_key((dir_ / "k").string()));
  auto a = crypto::blind_index("13800138000");
  EXPECT_EQ(a, crypto::blind_index("13800138000"));
  EXPECT_EQ(a.size(), 64u);
  EXPECT_TRUE(is_hex(a));
  EXPECT_NE(a, crypto::blind_index("13800138001"));
  EXPECT_NE(a, crypto::token_hash("13800138000"));  // keyed, not a plain hash

  setenv("LINLI_DATA_KEY", std::string(64, 'f').c_str(), 1);
  ASSERT_TRUE(crypto::load_data_key((dir_ / "k").string()));
  EXPECT_NE(a, crypto::blind_index("13800138000"));
}

}  // namespace
