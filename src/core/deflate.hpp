// One whole buffer through zlib's deflate, for the xlsx writer (raw deflate,
// as ZIP wants) and the server's gzip coding (a gzip member).
#pragma once
#include <string>
#include <string_view>

namespace linli {

// window_bits as deflateInit2 takes it: -15 raw deflate, 15 a zlib stream,
// 15 + 16 a gzip member. level 1 (fastest) … 9 (smallest), or -1 for zlib's
// default. Throws std::runtime_error when zlib fails (out of memory).
std::string deflate_whole(std::string_view data, int level, int window_bits);

}  // namespace linli
