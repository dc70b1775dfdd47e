// The `linli gen` subcommand, registered from main.cpp.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

namespace linli::gen {

struct CliArgs {
  std::string db_url = "sqlite:data/bench.db", key_file, accounts_json, now, residents_csv;
  long residents = 100000, cases = 100000;
  int years = 1;
  unsigned seed = 1;
};

CLI::App* add_command(CLI::App& cli, CliArgs& a);
int run(const CliArgs& a);

}  // namespace linli::gen
