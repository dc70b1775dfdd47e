// linli backup / linli restore: a consistent copy of the store taken while the
// server runs, and putting one back (docs/OPERATIONS.md).
//
// SQLite: the online backup API copies the pages of one read snapshot, so
// writers carry on and the copy is a transaction-consistent database file.
// PostgreSQL: pg_dump's custom format (one snapshot), pg_restore back.
// Personal data is sealed with the data key (core/crypto): without it a
// restored database cannot reveal a phone number. backup copies the key file
// to FILE.key (mode 0600) unless told not to; restore puts it back.
#pragma once
#include <functional>
#include <string>

#include "core/error.hpp"

namespace linli::ops {

struct BackupOptions {
  std::string db_url;    // sqlite:PATH or postgresql://…
  std::string key_file;  // the data key the server uses
  std::string out;       // backup file; the key goes to out + ".key"
  bool with_key = true;  // false: warn that the key must be kept some other way
  std::function<void(const std::string&)> say;  // progress lines (stderr)
};

struct RestoreOptions {
  std::string db_url;    // target store
  std::string key_file;  // where the target's server will look for the key
  std::string in;        // backup file; its key is read from in + ".key"
  bool force = false;    // overwrite a store that already holds data
  std::function<void(const std::string&)> say;
};

Status backup(const BackupOptions& opt);
Status restore(const RestoreOptions& opt);

// The path of the key that travels with a backup file.
std::string key_path_of(const std::string& backup_file);

}  // namespace linli::ops
