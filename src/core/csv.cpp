// CSV and XLSX for imports and exports. The XLSX side is a small ZIP writer
// and reader on zlib plus a hand-written XML scanner: enough for the one-sheet
// workbooks staff exchange, without an XML or ZIP library.
#include "core/csv.hpp"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <optional>
#include <stdexcept>

#include "core/deflate.hpp"
#include "core/validate.hpp"

namespace linli::csv {

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

std::string row_error(std::size_t row, std::string_view what) {
  return "第" + std::to_string(row) + "行" + std::string(what);
}

bool blank(const Record& r) {
  return std::all_of(r.begin(), r.end(), [](const std::string& f) { return f.empty(); });
}

// Reads a quoted field starting at the opening quote; pos ends after the
// closing quote. Returns false when the document ends inside the quotes.
bool read_quoted(std::string_view text, std::size_t& pos, std::string& field) {
  ++pos;
  while (true) {
    auto q = text.find('"', pos);
    if (q == std::string_view::npos) return false;
    field.append(text.substr(pos, q - pos));
    pos = q + 1;
    if (pos < text.size() && text[pos] == '"') {
      field += '"';
      ++pos;
    } else {
      return true;
    }
  }
}

// Reads one record from pos through its line end. `row` is the 1-based
// record number, which is the row number Excel shows for the same file.
Result<Record> read_record(std::string_view text, std::size_t& pos, std::size_t row) {
  Record rec;
  while (true) {
    std::string field;
    if (pos < text.size() && text[pos] == '"' && !read_quoted(text, pos, field)) {
      return fail(Error::invalid(row_error(row, "的双引号没有闭合，请检查该行的引号")));
    }
    // Unquoted text, or anything after a closing quote, is kept literally as
    // Excel does: a stray quote inside a field is data, not an error.
    auto end = text.find_first_of(",\r\n", pos);
    if (end == std::string_view::npos) end = text.size();
    field.append(text.substr(pos, end - pos));
    pos = end;
    if (!validate::valid_utf8(field)) {
      return fail(Error::invalid(row_error(row, "不是有效的UTF-8文本，请用UTF-8编码另存为CSV")));
    }
    rec.push_back(std::move(field));
    if (pos >= text.size()) return rec;
    char c = text[pos++];
    if (c == ',') continue;
    if (c == '\r' && pos < text.size() && text[pos] == '\n') ++pos;
    return rec;
  }
}

// Excel runs a cell starting with these as a formula (or DDE command) even
// in a CSV; a leading apostrophe makes it plain text (OWASP CSV injection).
bool looks_like_formula(std::string_view f) {
  return !f.empty() && std::string_view("=+-@\t\r").find(f[0]) != std::string_view::npos;
}

std::string format_field(std::string_view f) {
  std::string v;
  if (looks_like_formula(f)) v = "'";
  v.append(f);
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char c : v) {
    if (c == '"') q += '"';
    q += c;
  }
  q += '"';
  return q;
}

}  // namespace

Result<std::vector<Record>> parse(std::string_view text) {
  if (text.starts_with(kBom)) text.remove_prefix(kBom.size());
  std::vector<Record> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto rec = read_record(text, pos, out.size() + 1);
    if (!rec) return fail(std::move(rec.error()));
    out.push_back(std::move(*rec));
  }
  // Excel often saves empty rows (",,,") below the data; they carry nothing.
  while (!out.empty() && blank(out.back())) out.pop_back();
  return out;
}

std::string format_record(const Record& r) {
  std::string out;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (i > 0) out += ',';
    out += format_field(r[i]);
  }
  out += "\r\n";
  return out;
}

std::string format(const std::vector<Record>& rows) {
  std::string out(kBom);
  for (const auto& r : rows) out += format_record(r);
  return out;
}

}  // namespace linli::csv

namespace linli::xlsx {

namespace {

using Rows = std::vector<std::vector<std::string>>;

constexpr std::uint64_t kMaxUnpacked = 64ull << 20;  // zip bomb guard
constexpr std::size_t kMaxCells = 2'000'000;         // sparse-reference guard
constexpr std::uint32_t kMaxRow = 1'048'576;         // Excel's own limits
constexpr std::uint32_t kMaxCol = 16'384;

Error bad_file(std::string_view why) {
  return Error::invalid("无法读取Excel文件：" + std::string(why) +
                        "。请用Excel或WPS另存为.xlsx后重试");
}

// ---------------------------------------------------------------- ZIP writer

void put16(std::string& s, std::uint32_t v) {
  s += static_cast<char>(v & 0xFF);
  s += static_cast<char>((v >> 8) & 0xFF);
}

void put32(std::string& s, std::uint32_t v) {
  put16(s, v & 0xFFFF);
  put16(s, v >> 16);
}

std::uint32_t crc_of(std::string_view data) {
  return static_cast<std::uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

// Raw deflate (windowBits -15), as ZIP wants: no zlib header or trailer.
std::string deflate_raw(std::string_view data) {
  return deflate_whole(data, Z_DEFAULT_COMPRESSION, -15);
}

class ZipWriter {
 public:
  ZipWriter() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    time_ = static_cast<std::uint32_t>((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
    date_ =
        static_cast<std::uint32_t>(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
  }

  void add(std::string_view name, std::string_view data) {
    std::string packed = deflate_raw(data);
    check_size(out_.size() + packed.size() + data.size());
    std::uint32_t offset = static_cast<std::uint32_t>(out_.size());
    std::uint32_t crc = crc_of(data);
    // Local header and central record share most fields, in the same order.
    std::string common;
    put16(common, 20);      // version needed: 2.0 (deflate)
    put16(common, 0x0800);  // flags: bit 11, names are UTF-8
    put16(common, 8);       // method: deflate
    put16(common, time_);
    put16(common, date_);
    put32(common, crc);
    put32(common, static_cast<std::uint32_t>(packed.size()));
    put32(common, static_cast<std::uint32_t>(data.size()));
    put16(common, static_cast<std::uint32_t>(name.size()));
    put16(common, 0);  // extra field length

    put32(out_, 0x04034b50);
    out_ += common;
    out_ += name;
    out_ += packed;

    put32(central_, 0x02014b50);
    put16(central_, 20);  // version made by: MS-DOS attributes, 2.0
    central_ += common;
    put16(central_, 0);  // comment length
    put16(central_, 0);  // disk number
    put16(central_, 0);  // internal attributes
    put32(central_, 0);  // external attributes
    put32(central_, offset);
    central_ += name;
    ++count_;
  }

  std::string finish() {
    check_size(out_.size() + central_.size());
    std::uint32_t cd_offset = static_cast<std::uint32_t>(out_.size());
    out_ += central_;
    put32(out_, 0x06054b50);
    put16(out_, 0);  // this disk
    put16(out_, 0);  // disk with the central directory
    put16(out_, count_);
    put16(out_, count_);
    put32(out_, static_cast<std::uint32_t>(central_.size()));
    put32(out_, cd_offset);
    put16(out_, 0);  // comment length
    return std::move(out_);
  }

 private:
  // Plain ZIP stops at 4 GiB; exports are far below, so ZIP64 is not written.
  static void check_size(std::size_t n) {
    if (n > 0xFFFFFFFFull) throw std::length_error("xlsx export over 4 GiB");
  }

  std::string out_, central_;
  std::uint32_t count_ = 0, time_ = 0, date_ = 0;
};

// ---------------------------------------------------------------- ZIP reader

std::uint32_t get16(std::string_view s, std::size_t at) {
  return static_cast<unsigned char>(s[at]) | (static_cast<unsigned char>(s[at + 1]) << 8);
}

std::uint32_t get32(std::string_view s, std::size_t at) {
  return get16(s, at) | (get16(s, at + 2) << 16);
}

struct Entry {
  std::string name;
  std::uint32_t flags = 0, method = 0, crc = 0, packed = 0, size = 0, offset = 0;
};

Result<std::size_t> find_end_record(std::string_view zip) {
  if (zip.size() < 22) return fail(bad_file("文件不是.xlsx格式"));
  std::size_t stop = zip.size() > 22 + 0xFFFF ? zip.size() - 22 - 0xFFFF : 0;
  for (std::size_t p = zip.size() - 22;; --p) {
    if (get32(zip, p) == 0x06054b50) return p;
    if (p == stop) break;
  }
  return fail(bad_file("文件不是.xlsx格式"));
}

Result<std::vector<Entry>> read_directory(std::string_view zip) {
  auto eocd = find_end_record(zip);
  if (!eocd) return fail(eocd.error());
  std::size_t count = get16(zip, *eocd + 10);
  std::size_t cd_size = get32(zip, *eocd + 12), pos = get32(zip, *eocd + 16);
  if (count == 0xFFFF || pos == 0xFFFFFFFF) return fail(bad_file("不支持ZIP64格式"));
  if (pos + cd_size > *eocd) return fail(bad_file("文件已损坏"));
  std::vector<Entry> out;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (pos + 46 > *eocd || get32(zip, pos) != 0x02014b50) return fail(bad_file("文件已损坏"));
    Entry e;
    e.flags = get16(zip, pos + 8);
    e.method = get16(zip, pos + 10);
    e.crc = get32(zip, pos + 16);
    e.packed = get32(zip, pos + 20);
    e.size = get32(zip, pos + 24);
    std::size_t n = get16(zip, pos + 28), m = get16(zip, pos + 30), k = get16(zip, pos + 32);
    e.offset = get32(zip, pos + 42);
    if (pos + 46 + n + m + k > *eocd) return fail(bad_file("文件已损坏"));
    e.name = zip.substr(pos + 46, n);
    pos += 46 + n + m + k;
    total += e.size;
    if (total > kMaxUnpacked) return fail(bad_file("解压后超过64MB，请拆分后再导入"));
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::string> inflate_raw(std::string_view packed, std::size_t size) {
  z_stream z{};
  if (inflateInit2(&z, -15) != Z_OK) return fail(Error::internal("zlib初始化失败"));
  // One spare byte: filling it means the entry is bigger than it declared.
  std::string out(size + 1, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
  z.avail_in = static_cast<uInt>(packed.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&z, Z_FINISH);
  std::size_t got = z.total_out;
  inflateEnd(&z);
  if (rc != Z_STREAM_END || got != size) return fail(bad_file("文件已损坏"));
  out.resize(size);
  return out;
}

Result<std::string> extract(std::string_view zip, const Entry& e) {
  if (e.flags & 1) return fail(bad_file("文件已加密，请取消密码后再导入"));
  std::size_t at = e.offset;
  if (at + 30 > zip.size() || get32(zip, at) != 0x04034b50) return fail(bad_file("文件已损坏"));
  std::size_t start = at + 30 + get16(zip, at + 26) + get16(zip, at + 28);
  if (start + e.packed > zip.size()) return fail(bad_file("文件已损坏"));
  std::string_view packed = zip.substr(start, e.packed);
  Result<std::string> data;
  if (e.method == 0) {
    if (e.packed != e.size) return fail(bad_file("文件已损坏"));
    data = std::string(packed);
  } else if (e.method == 8) {
    data = inflate_raw(packed, e.size);
  } else {
    return fail(bad_file("不支持的压缩方式"));
  }
  if (data && crc_of(*data) != e.crc) return fail(bad_file("文件校验失败"));
  return data;
}

// OPC part names compare case-insensitively.
bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lo = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
           return lo(x) == lo(y);
         });
}

const Entry* find_entry(const std::vector<Entry>& dir, std::string_view name) {
  for (const auto& e : dir) {
    if (same_name(e.name, name)) return &e;
  }
  return nullptr;
}

// ---------------------------------------------------------------- XML text

void escape_text(std::string& out, std::string_view s, bool attribute) {
  for (char c : s) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '"' && attribute) {
      out += "&quot;";
    } else {
      out += c;
    }
  }
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// "_x0041_"-style escapes at s[i]: how OOXML stores characters XML cannot.
bool is_ooxml_escape(std::string_view s, std::size_t i) {
  if (i + 7 > s.size() || s[i] != '_' || s[i + 1] != 'x' || s[i + 6] != '_') return false;
  return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(i) + 2,
                     s.begin() + static_cast<std::ptrdiff_t>(i) + 6, is_hex);
}

void append_escape(std::string& out, char32_t cp) {
  static constexpr char hex[] = "0123456789ABCDEF";
  out += "_x";
  for (int shift = 12; shift >= 0; shift -= 4) out += hex[(cp >> shift) & 0xF];
  out += '_';
}

// Cell text for the sheet: XML-escaped, control characters and CR as
// _xHHHH_ (XML would drop them or turn CR into LF), invalid UTF-8 as U+FFFD
// (Excel refuses a whole file over one bad byte).
std::string cell_xml(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp;
    std::size_t n = validate::utf8_next(s, i, cp);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    if (is_ooxml_escape(s, i)) {
      out += "_x005F";  // escape the underscore so the reader keeps "_x..." literal
    } else if ((cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0xFFFE || cp == 0xFFFF) {
      append_escape(out, cp);
      i += n;
      continue;
    }
    escape_text(out, s.substr(i, n), false);
    i += n;
  }
  return out;
}

std::optional<char32_t> parse_code(std::string_view digits, int base) {
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
  bool whole = ec == std::errc() && p == digits.data() + digits.size() && !digits.empty();
  if (!whole) return std::nullopt;
  if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return std::nullopt;
  return static_cast<char32_t>(v);
}

// The five entities XML predefines; documents may declare no others here.
std::optional<char32_t> named_entity(std::string_view name) {
  static constexpr std::pair<std::string_view, char32_t> table[] = {
      {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
  for (const auto& [n, cp] : table) {
    if (n == name) return cp;
  }
  return std::nullopt;
}

// XML entities; unknown or malformed ones are kept as written.
void unescape_entities(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto semi = s[i] == '&' ? s.find(';', i) : std::string_view::npos;
    if (semi == std::string_view::npos || semi - i > 12) {
      // XML parsers turn CRLF and lone CR into LF before anything else.
      if (s[i] == '\r') {
        out += '\n';
        i += (i + 1 < s.size() && s[i + 1] == '\n') ? 2 : 1;
      } else {
        out += s[i++];
      }
      continue;
    }
    std::string_view name = s.substr(i + 1, semi - i - 1);
    std::optional<char32_t> cp = named_entity(name);
    if (name.starts_with("#x")) {
      cp = parse_code(name.substr(2), 16);
    } else if (name.starts_with("#")) {
      cp = parse_code(name.substr(1), 10);
    }
    if (!cp) {
      out += s[i++];
      continue;
    }
    validate::utf8_append(out, *cp);
    i = semi + 1;
  }
}

// Undoes _xHHHH_ escapes (BMP code units; surrogate halves stay literal).
std::string unescape_ooxml(std::string_view s) {
  if (s.find("_x") == std::string_view::npos) return std::string(s);
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    if (is_ooxml_escape(s, i)) {
      auto cp = parse_code(s.substr(i + 2, 4), 16);
      if (cp) {
        validate::utf8_append(out, *cp);
        i += 7;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

// ---------------------------------------------------------------- XML scanner

struct Token {
  enum Kind { start, end, text, eof } kind = eof;
  std::string_view name{};   // local name, namespace prefix dropped
  std::string_view attrs{};  // raw attribute text of a start tag
  bool empty = false;        // <x/>: no end token follows
  std::string_view raw{};    // text as written
  bool cdata = false;
};

std::string_view local_name(std::string_view q) {
  auto colon = q.find(':');
  return colon == std::string_view::npos ? q : q.substr(colon + 1);
}

// Pull scanner over well-formed SpreadsheetML: tags, text, CDATA; skips
// comments and processing instructions; refuses DOCTYPE (never in OOXML,
// and the way to entity-expansion attacks).
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  Result<Token> next() {
    while (true) {
      if (pos_ >= s_.size()) return Token{};
      if (s_[pos_] != '<') return text_token();
      auto rest = s_.substr(pos_);
      if (rest.starts_with("<!--")) {
        if (!skip_past("-->")) return broken();
      } else if (rest.starts_with("<?")) {
        if (!skip_past("?>")) return broken();
      } else if (rest.starts_with("<![CDATA[")) {
        return cdata_token();
      } else if (rest.starts_with("<!")) {
        return fail(bad_file("文件含有不支持的DOCTYPE"));
      } else {
        return tag_token();
      }
    }
  }

 private:
  static Result<Token> broken() { return fail(bad_file("XML内容不完整")); }

  bool skip_past(std::string_view marker) {
    auto at = s_.find(marker, pos_);
    if (at == std::string_view::npos) return false;
    pos_ = at + marker.size();
    return true;
  }

  Token text_token() {
    auto lt = s_.find('<', pos_);
    if (lt == std::string_view::npos) lt = s_.size();
    Token t{Token::text};
    t.raw = s_.substr(pos_, lt - pos_);
    pos_ = lt;
    return t;
  }

  Result<Token> cdata_token() {
    std::size_t begin = pos_ + 9;
    if (!skip_past("]]>")) return broken();
    Token t{Token::text};
    t.raw = s_.substr(begin, pos_ - 3 - begin);
    t.cdata = true;
    return t;
  }

  Result<Token> tag_token() {
    // '>' may appear inside quoted attribute values, so track quotes.
    std::size_t i = pos_ + 1;
    char quote = 0;
    for (; i < s_.size(); ++i) {
      char c = s_[i];
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '>') {
        break;
      }
    }
    if (i >= s_.size()) return broken();
    std::string_view inner = s_.substr(pos_ + 1, i - pos_ - 1);
    pos_ = i + 1;
    Token t{Token::start};
    if (inner.starts_with("/")) {
      t.kind = Token::end;
      inner.remove_prefix(1);
    } else if (inner.ends_with("/")) {
      t.empty = true;
      inner.remove_suffix(1);
    }
    auto name_end = inner.find_first_of(" \t\r\n");
    if (name_end == std::string_view::npos) name_end = inner.size();
    t.name = local_name(inner.substr(0, name_end));
    t.attrs = inner.substr(name_end);
    return t;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

// Value of the attribute with this local name (xmlns declarations skipped).
std::optional<std::string> attr(std::string_view attrs, std::string_view want) {
  std::size_t i = 0;
  while (i < attrs.size()) {
    i = attrs.find_first_not_of(" \t\r\n", i);
    if (i == std::string_view::npos) break;
    auto eq = attrs.find('=', i);
    if (eq == std::string_view::npos) break;
    auto qname = attrs.substr(i, eq - i);
    qname = qname.substr(0, qname.find_last_not_of(" \t\r\n") + 1);
    auto q = attrs.find_first_of("\"'", eq);
    if (q == std::string_view::npos) break;
    auto close = attrs.find(attrs[q], q + 1);
    if (close == std::string_view::npos) break;
    if (!qname.starts_with("xmlns") && local_name(qname) == want) {
      std::string v;
      unescape_entities(v, attrs.substr(q + 1, close - q - 1));
      return v;
    }
    i = close + 1;
  }
  return std::nullopt;
}

void append_text(std::string& out, const Token& t) {
  if (t.cdata) {
    out.append(t.raw);
  } else {
    unescape_entities(out, t.raw);
  }
}

// Text of an element whose start tag was just read, up to its end tag.
Result<std::string> element_text(Scanner& x, std::string_view name) {
  std::string out;
  while (true) {
    auto t = x.next();
    if (!t) return fail(t.error());
    if (t->kind == Token::eof) return fail(bad_file("XML内容不完整"));
    if (t->kind == Token::end && t->name == name) return unescape_ooxml(out);
    if (t->kind == Token::text) append_text(out, *t);
  }
}

// Rich text (<si> in shared strings, <is> in a cell): the <t> runs joined,
// leaving out phonetic guides (<rPh>), which are not part of the value.
Result<std::string> rich_text(Scanner& x, std::string_view name) {
  std::string out;
  int phonetic = 0;
  while (true) {
    auto t = x.next();
    if (!t) return fail(t.error());
    if (t->kind == Token::eof) return fail(bad_file("XML内容不完整"));
    if (t->kind == Token::end && t->name == name) return out;
    if (t->kind == Token::start && !t->empty && t->name == "rPh") ++phonetic;
    if (t->kind == Token::end && t->name == "rPh") --phonetic;
    if (t->kind == Token::start && !t->empty && t->name == "t") {
      auto text = element_text(x, "t");
      if (!text) return fail(text.error());
      if (phonetic == 0) out += *text;
    }
  }
}

// ---------------------------------------------------------------- reader

Result<std::vector<std::string>> shared_strings(std::string_view xml) {
  std::vector<std::string> out;
  Scanner x(xml);
  while (true) {
    auto t = x.next();
    if (!t) return fail(t.error());
    if (t->kind == Token::eof) return out;
    if (t->kind != Token::start || t->name != "si") continue;
    if (t->empty) {
      out.emplace_back();
      continue;
    }
    auto s = rich_text(x, "si");
    if (!s) return fail(s.error());
    out.push_back(std::move(*s));
  }
}

// "C7" → column 3, row 7 (both 1-based); either part may be absent.
bool parse_ref(std::string_view ref, std::uint32_t& col, std::uint32_t& row) {
  std::size_t i = 0;
  std::uint32_t c = 0;
  for (; i < ref.size() && ref[i] >= 'A' && ref[i] <= 'Z'; ++i) {
    c = c * 26 + static_cast<std::uint32_t>(ref[i] - 'A' + 1);
    if (c > kMaxCol) return false;
  }
  std::uint32_t r = 0;
  if (i < ref.size()) {
    auto [p, ec] = std::from_chars(ref.data() + i, ref.data() + ref.size(), r);
    if (ec != std::errc() || p != ref.data() + ref.size() || r == 0 || r > kMaxRow) return false;
  }
  if (c > 0) col = c;
  if (r > 0) row = r;
  return true;
}

// Excel writes large whole numbers as "1.3800138E+10"; show them as digits.
std::string number_text(const std::string& v) {
  if (v.find_first_of("eE") == std::string::npos) return v;
  double d = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec != std::errc() || p != v.data() + v.size()) return v;
  if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) >= 1e15) return v;
  return std::to_string(static_cast<long long>(d));
}

struct Cell {
  std::string type, v, inline_text;
};

Result<Cell> read_cell(Scanner& x, const Token& start) {
  Cell c;
  c.type = attr(start.attrs, "t").value_or("n");
  if (start.empty) return c;
  while (true) {
    auto t = x.next();
    if (!t) return fail(t.error());
    if (t->kind == Token::eof) return fail(bad_file("XML内容不完整"));
    if (t->kind == Token::end && t->name == "c") return c;
    if (t->kind != Token::start || t->empty) continue;
    Result<std::string> text;
    if (t->name == "v") {
      text = element_text(x, "v");
      if (text) c.v = std::move(*text);
    } else if (t->name == "is") {
      text = rich_text(x, "is");
      if (text) c.inline_text = std::move(*text);
    } else if (t->name == "f") {
      text = element_text(x, "f");  // the formula itself is not the value
    }
    if (!text) return fail(text.error());
  }
}

Result<std::string> cell_value(const Cell& c, const std::vector<std::string>& shared) {
  if (c.type == "inlineStr") return c.inline_text;
  if (c.type == "s") {
    std::size_t idx = 0;
    auto [p, ec] = std::from_chars(c.v.data(), c.v.data() + c.v.size(), idx);
    if (ec != std::errc() || idx >= shared.size()) return fail(bad_file("共享字符串索引无效"));
    return shared[idx];
  }
  if (c.type == "b") return std::string(c.v == "1" ? "TRUE" : "FALSE");
  if (c.type == "n") return number_text(c.v);
  return c.v;  // "str" (formula result), "e" (error such as #N/A)
}

class Grid {
 public:
  // Counts every slot it would create (gap rows and cells too) and refuses
  // before allocating, so a few far-off references cannot eat the memory.
  Status put(std::uint32_t row, std::uint32_t col, std::string value) {
    std::size_t new_rows = row > rows_.size() ? row - rows_.size() : 0;
    std::size_t have = row <= rows_.size() ? rows_[row - 1].size() : 0;
    std::size_t new_cells = col > have ? col - have : 0;
    if (cells_ + new_rows + new_cells > kMaxCells) {
      return fail(bad_file("表格过大，请拆分后再导入"));
    }
    cells_ += new_rows + new_cells;
    if (new_rows > 0) rows_.resize(row);
    auto& r = rows_[row - 1];
    if (new_cells > 0) r.resize(col);
    r[col - 1] = std::move(value);
    return {};
  }

  // Styled but empty cells and rows at the edges carry nothing.
  Rows take() {
    for (auto& r : rows_) {
      while (!r.empty() && r.back().empty()) r.pop_back();
    }
    while (!rows_.empty() && rows_.back().empty()) rows_.pop_back();
    return std::move(rows_);
  }

 private:
  Rows rows_;
  std::size_t cells_ = 0;
};

Result<Rows> read_sheet(std::string_view xml, const std::vector<std::string>& shared) {
  Grid grid;
  Scanner x(xml);
  std::uint32_t row = 0, col = 0;
  while (true) {
    auto t = x.next();
    if (!t) return fail(t.error());
    if (t->kind == Token::eof) return grid.take();
    if (t->kind != Token::start) continue;
    // Rows and cells without a reference follow the previous one.
    if (t->name == "row") {
      std::uint32_t next_row = row + 1, unused = 0;
      if (auto r = attr(t->attrs, "r"); r && !parse_ref(*r, unused, next_row)) {
        return fail(bad_file("行号无效"));
      }
      if (next_row > kMaxRow) return fail(bad_file("行号无效"));
      row = next_row;
      col = 0;
    } else if (t->name == "c") {
      std::uint32_t next_col = col + 1, cell_row = std::max<std::uint32_t>(row, 1);
      if (auto r = attr(t->attrs, "r"); r && !parse_ref(*r, next_col, cell_row)) {
        return fail(bad_file("单元格位置无效"));
      }
      if (next_col > kMaxCol) return fail(bad_file("单元格位置无效"));
      row = cell_row;
      col = next_col;
      auto cell = read_cell(x, *t);
      if (!cell) return fail(cell.error());
      auto value = cell_value(*cell, shared);
      if (!value) return fail(value.error());
      if (value->empty()) continue;
      if (auto st = grid.put(row, col, std::move(*value)); !st) return fail(st.error());
    }
  }
}

// Relationships of a part: (Id, Type, Target) triples.
struct Rel {
  std::string id, type, target;
};

Result<std::vector<Rel>> read_rels(std::string_view xml) {
  std::vector<Rel> out;
  Scanner x(xml);
  while (true) {
    auto t = x.next();
    if (!t) return fail(t.error());
    if (t->kind == Token::eof) return out;
    if (t->kind != Token::start || t->name != "Relationship") continue;
    out.push_back({attr(t->attrs, "Id").value_or(""), attr(t->attrs, "Type").value_or(""),
                   attr(t->attrs, "Target").value_or("")});
  }
}

// Targets in xl/_rels/workbook.xml.rels are relative to xl/, or absolute.
std::string part_path(std::string_view target) {
  if (target.starts_with("/")) return std::string(target.substr(1));
  if (target.starts_with("./")) target.remove_prefix(2);
  return "xl/" + std::string(target);
}

// r:id of the first <sheet> in workbook.xml.
Result<std::string> first_sheet_id(std::string_view xml) {
  Scanner x(xml);
  while (true) {
    auto t = x.next();
    if (!t) return fail(t.error());
    if (t->kind == Token::eof) return std::string();
    if (t->kind == Token::start && t->name == "sheet") return attr(t->attrs, "id").value_or("");
  }
}

struct Parts {
  std::string sheet, shared = "xl/sharedStrings.xml";
};

// Finds the first sheet through the workbook's relationships, falling back
// to the conventional names when those parts are missing or odd.
Result<Parts> locate_parts(std::string_view zip, const std::vector<Entry>& dir) {
  Parts parts;
  const Entry* wb = find_entry(dir, "xl/workbook.xml");
  const Entry* rels = find_entry(dir, "xl/_rels/workbook.xml.rels");
  if (wb && rels) {
    auto wb_xml = extract(zip, *wb);
    if (!wb_xml) return fail(wb_xml.error());
    auto rels_xml = extract(zip, *rels);
    if (!rels_xml) return fail(rels_xml.error());
    auto id = first_sheet_id(*wb_xml);
    if (!id) return fail(id.error());
    auto list = read_rels(*rels_xml);
    if (!list) return fail(list.error());
    for (const auto& r : *list) {
      if (!id->empty() && r.id == *id) parts.sheet = part_path(r.target);
      if (r.type.ends_with("/sharedStrings")) parts.shared = part_path(r.target);
    }
  }
  if (parts.sheet.empty() || !find_entry(dir, parts.sheet)) {
    parts.sheet = "xl/worksheets/sheet1.xml";
    if (!find_entry(dir, parts.sheet)) {
      auto it = std::find_if(dir.begin(), dir.end(), [](const Entry& e) {
        return e.name.starts_with("xl/worksheets/") && e.name.ends_with(".xml");
      });
      if (it == dir.end()) return fail(bad_file("找不到工作表"));
      parts.sheet = it->name;
    }
  }
  return parts;
}

// ---------------------------------------------------------------- writer

std::string column_name(std::size_t index) {  // 0 → A, 26 → AA
  std::string out;
  for (++index; index > 0; index = (index - 1) / 26) {
    out.insert(out.begin(), static_cast<char>('A' + (index - 1) % 26));
  }
  return out;
}

// Columns in Excel's character units: CJK and full-width count double.
std::size_t display_width(std::string_view s) {
  std::size_t best = 0, line = 0;
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp;
    std::size_t n = validate::utf8_next(s, i, cp);
    if (n == 0) cp = 0xFFFD, n = 1;
    i += n;
    if (cp == '\n') {
      line = 0;
      continue;
    }
    bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                (cp >= 0xFFE0 && cp <= 0xFFE6) || cp >= 0x20000;
    line += wide ? 2 : 1;
    best = std::max(best, line);
  }
  return best;
}

// Excel refuses names over 31 characters, empty ones, and : \ / ? * [ ].
std::string sheet_title(std::string_view name) {
  std::string out;
  std::size_t count = 0;
  for (std::size_t i = 0; i < name.size() && count < 31;) {
    char32_t cp;
    std::size_t n = validate::utf8_next(name, i, cp);
    if (n == 0 || cp < 0x20 ||
        std::u32string_view(U":\\/?*[]").find(cp) != std::u32string_view::npos) {
      out += '_';
    } else {
      out.append(name.substr(i, n));
    }
    i += n ? n : 1;
    ++count;
  }
  while (out.starts_with("'")) out.erase(0, 1);
  while (out.ends_with("'")) out.pop_back();
  return out.empty() ? "Sheet1" : out;
}

constexpr std::string_view kXmlDecl =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
constexpr std::string_view kMainNs = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
constexpr std::string_view kRelNs =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

std::string content_types() {
  std::string x(kXmlDecl);
  x +=
      "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
      "<Default Extension=\"rels\" "
      "ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
      "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
      "<Override PartName=\"/xl/workbook.xml\" "
      "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
      "<Override PartName=\"/xl/worksheets/sheet1.xml\" "
      "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
      "<Override PartName=\"/xl/styles.xml\" "
      "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>"
      "</Types>";
  return x;
}

std::string root_rels() {
  std::string x(kXmlDecl);
  x += "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
       "<Relationship Id=\"rId1\" Type=\"";
  x += kRelNs;
  x += "/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";
  return x;
}

std::string workbook_rels() {
  std::string x(kXmlDecl);
  x += "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">";
  x += "<Relationship Id=\"rId1\" Type=\"" + std::string(kRelNs) +
       "/worksheet\" Target=\"worksheets/sheet1.xml\"/>";
  x += "<Relationship Id=\"rId2\" Type=\"" + std::string(kRelNs) +
       "/styles\" Target=\"styles.xml\"/>";
  x += "</Relationships>";
  return x;
}

std::string workbook_xml(std::string_view sheet_name) {
  std::string x(kXmlDecl);
  x += "<workbook xmlns=\"" + std::string(kMainNs) + "\" xmlns:r=\"" + std::string(kRelNs) + "\">";
  x += "<bookViews><workbookView/></bookViews><sheets><sheet name=\"";
  escape_text(x, sheet_title(sheet_name), true);
  x += "\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
  return x;
}

// Style 1: bold header. Both styles use the text number format (49, "@") so
// an ID or phone number a user retypes in the sheet stays text on re-import
// instead of turning into 1.10105E+17.
std::string styles_xml() {
  std::string x(kXmlDecl);
  x += "<styleSheet xmlns=\"" + std::string(kMainNs) + "\">";
  x +=
      "<fonts count=\"2\">"
      "<font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>"
      "<font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font></fonts>"
      "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>"
      "<fill><patternFill patternType=\"gray125\"/></fill></fills>"
      "<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"
      "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" "
      "borderId=\"0\"/></cellStyleXfs>"
      "<cellXfs count=\"3\">"
      "<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>"
      "<xf numFmtId=\"49\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\" "
      "applyNumberFormat=\"1\"/>"
      "<xf numFmtId=\"49\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" "
      "applyNumberFormat=\"1\"/>"
      "</cellXfs>"
      "<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>"
      "</styleSheet>";
  return x;
}

std::string cols_xml(const Rows& rows) {
  std::size_t ncols = 0;
  for (const auto& r : rows) ncols = std::max(ncols, r.size());
  if (ncols == 0) return {};  // an empty <cols/> is invalid
  std::vector<std::size_t> width(ncols, 0);
  for (const auto& r : rows) {
    for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], display_width(r[c]));
  }
  std::string x = "<cols>";
  for (std::size_t c = 0; c < ncols; ++c) {
    std::size_t w = std::clamp<std::size_t>(width[c] + 2, 8, 60);
    auto n = std::to_string(c + 1);
    x += "<col min=\"" + n + "\" max=\"" + n + "\" width=\"" + std::to_string(w) +
         "\" customWidth=\"1\"/>";
  }
  x += "</cols>";
  return x;
}

std::string sheet_xml(const Rows& rows) {
  std::string x(kXmlDecl);
  x += "<worksheet xmlns=\"" + std::string(kMainNs) + "\" xmlns:r=\"" + std::string(kRelNs) + "\">";
  // Frozen first row: the header stays visible while scrolling.
  x += "<sheetViews><sheetView workbookViewId=\"0\">"
       "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"
       "<selection pane=\"bottomLeft\" activeCell=\"A2\" sqref=\"A2\"/>"
       "</sheetView></sheetViews>"
       "<sheetFormatPr defaultRowHeight=\"15\"/>";
  x += cols_xml(rows);
  x += "<sheetData>";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    auto rn = std::to_string(r + 1);
    x += "<row r=\"" + rn + "\">";
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      if (rows[r][c].empty()) continue;
      x += "<c r=\"" + column_name(c) + rn + "\" s=\"" + (r == 0 ? "1" : "2") +
           "\" t=\"inlineStr\"><is><t xml:space=\"preserve\">";
      x += cell_xml(rows[r][c]);
      x += "</t></is></c>";
    }
    x += "</row>";
  }
  x += "</sheetData></worksheet>";
  return x;
}

}  // namespace

std::string workbook(std::string_view sheet_name, const Rows& rows) {
  ZipWriter zip;
  // [Content_Types].xml first: some readers sniff for it at the start.
  zip.add("[Content_Types].xml", content_types());
  zip.add("_rels/.rels", root_rels());
  zip.add("xl/workbook.xml", workbook_xml(sheet_name));
  zip.add("xl/_rels/workbook.xml.rels", workbook_rels());
  zip.add("xl/styles.xml", styles_xml());
  zip.add("xl/worksheets/sheet1.xml", sheet_xml(rows));
  return zip.finish();
}

Result<Rows> read_first_sheet(std::string_view file) {
  auto dir = read_directory(file);
  if (!dir) return fail(dir.error());
  auto parts = locate_parts(file, *dir);
  if (!parts) return fail(parts.error());
  std::vector<std::string> shared;
  if (const Entry* e = find_entry(*dir, parts->shared)) {
    auto xml = extract(file, *e);
    if (!xml) return fail(xml.error());
    auto list = shared_strings(*xml);
    if (!list) return fail(list.error());
    shared = std::move(*list);
  }
  auto xml = extract(file, *find_entry(*dir, parts->sheet));
  if (!xml) return fail(xml.error());
  return read_sheet(*xml, shared);
}

}  // namespace linli::xlsx
