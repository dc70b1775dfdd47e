#include "core/csv.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace linli;
using Rows = std::vector<std::vector<std::string>>;

Rows parsed(std::string_view text) {
  auto r = csv::parse(text);
  EXPECT_TRUE(r) << (r ? "" : r.error().detail);
  return r ? *r : Rows{};
}

// ---------------------------------------------------------------- CSV parse

TEST(CsvTest, PlainRecords) {
  EXPECT_EQ(parsed("a,b,c\n1,2,3\n"), (Rows{{"a", "b", "c"}, {"1", "2", "3"}}));
  EXPECT_EQ(parsed("a,b"), (Rows{{"a", "b"}}));
  EXPECT_EQ(parsed("a,,\n"), (Rows{{"a", "", ""}}));
  EXPECT_EQ(parsed(""), Rows{});
}

TEST(CsvTest, LineEndings) {
  Rows want{{"a", "b"}, {"c", "d"}};
  EXPECT_EQ(parsed("a,b\r\nc,d\r\n"), want);
  EXPECT_EQ(parsed("a,b\nc,d"), want);
  EXPECT_EQ(parsed("a,b\rc,d\r"), want);
}

TEST(CsvTest, BomSkippedAndChineseKept) {
  EXPECT_EQ(parsed("\xEF\xBB\xBF姓名,手机号\r\n张三,13800138000\r\n"),
            (Rows{{"姓名", "手机号"}, {"张三", "13800138000"}}));
}

TEST(CsvTest, QuotedFields) {
  EXPECT_EQ(parsed("\"a,b\",\"say \"\"hi\"\"\",\"\"\n"), (Rows{{"a,b", "say \"hi\"", ""}}));
  EXPECT_EQ(parsed("\"第一行\r\n第二行\",x\r\ny,z\r\n"),
            (Rows{{"第一行\r\n第二行", "x"}, {"y", "z"}}));
  EXPECT_EQ(parsed("\"line\nbreak\""), (Rows{{"line\nbreak"}}));
}

TEST(CsvTest, StrayQuotesKeptLiterally) {
  EXPECT_EQ(parsed("5'11\",ab\"c\n"), (Rows{{"5'11\"", "ab\"c"}}));
  EXPECT_EQ(parsed("\"ab\"c,d\n"), (Rows{{"abc", "d"}}));  // as Excel reads it
}

TEST(CsvTest, TrailingBlankLinesSkippedMiddleOnesKept) {
  // A blank row inside the data stays, so record i is Excel row i+1.
  EXPECT_EQ(parsed("a\n\nb\n\n\r\n,,,\n"), (Rows{{"a"}, {""}, {"b"}}));
}

TEST(CsvTest, UnterminatedQuoteNamesTheLine) {
  auto r = csv::parse("姓名,备注\n张三,ok\n李四,\"没有闭合\n王五,x\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::invalid);
  EXPECT_NE(r.error().detail.find("第3行"), std::string::npos) << r.error().detail;
}

TEST(CsvTest, InvalidUtf8RefusedWhole) {
  // "张三" in GBK, as Excel on Chinese Windows saves "CSV (逗号分隔)".
  auto r = csv::parse("name\nok\n\xD5\xC5\xC8\xFD,1\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::invalid);
  EXPECT_EQ(r.error().detail, "第3行不是有效的UTF-8文本，请用UTF-8编码另存为CSV");
  EXPECT_FALSE(csv::parse("\"ok\",\"\xC0\x80\""));
}

// ---------------------------------------------------------------- CSV format

TEST(CsvTest, FormatQuotesWhereNeeded) {
  EXPECT_EQ(csv::format_record({"a", "b,c", "say \"hi\"", "two\nlines", ""}),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n");
  EXPECT_EQ(csv::format({{"姓名"}, {"张三"}}), "\xEF\xBB\xBF姓名\r\n张三\r\n");
}

TEST(CsvTest, FormatGuardsAgainstFormulaInjection) {
  EXPECT_EQ(csv::format_record({"=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "a=b"}),
            "\"'=HYPERLINK(\"\"http://x\"\")\",'+1,'-2,'@SUM(A1),'\tx,a=b\r\n");
  EXPECT_EQ(csv::format_record({"\rcmd"}), "\"'\rcmd\"\r\n");
}

TEST(CsvTest, FormatThenParseRoundTrips) {
  Rows rows{{"姓名", "备注"}, {"张三", "含,逗号\r\n和\"引号\""}, {"", "x"}};
  EXPECT_EQ(parsed(csv::format(rows)), rows);
}

// ---------------------------------------------------------------- XLSX

// A ZIP with stored (uncompressed) entries, as some tools write them; lets
// tests feed the reader shared strings and odd layouts. `declared` overrides
// the uncompressed size written in the central directory.
std::string stored_zip(const std::vector<std::pair<std::string, std::string>>& files,
                       long declared = -1) {
  auto put16 = [](std::string& s, unsigned v) {
    s += static_cast<char>(v & 0xFF);
    s += static_cast<char>((v >> 8) & 0xFF);
  };
  auto put32 = [&](std::string& s, unsigned long v) {
    put16(s, v & 0xFFFF);
    put16(s, (v >> 16) & 0xFFFF);
  };
  std::string out, cd;
  for (const auto& [name, data] : files) {
    unsigned long crc =
        crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
    unsigned long offset = out.size();
    put32(out, 0x04034b50);
    put16(out, 10), put16(out, 0), put16(out, 0), put16(out, 0), put16(out, 0x21);
    put32(out, crc), put32(out, data.size()), put32(out, data.size());
    put16(out, static_cast<unsigned>(name.size())), put16(out, 0);
    out += name + data;
    put32(cd, 0x02014b50);
    put16(cd, 10), put16(cd, 10), put16(cd, 0), put16(cd, 0), put16(cd, 0), put16(cd, 0x21);
    put32(cd, crc), put32(cd, data.size());
    put32(cd, declared >= 0 ? static_cast<unsigned long>(declared) : data.size());
    put16(cd, static_cast<unsigned>(name.size())), put16(cd, 0), put16(cd, 0), put16(cd, 0),
        put16(cd, 0);
    put32(cd, 0), put32(cd, offset);
    cd += name;
  }
  unsigned long cd_offset = out.size();
  out += cd;
  put32(out, 0x06054b50);
  put16(out, 0), put16(out, 0);
  put16(out, static_cast<unsigned>(files.size())), put16(out, static_cast<unsigned>(files.size()));
  put32(out, cd.size()), put32(out, cd_offset), put16(out, 0);
  return out;
}

Rows read_back(std::string_view file) {
  auto r = xlsx::read_first_sheet(file);
  EXPECT_TRUE(r) << (r ? "" : r.error().detail);
  return r ? *r : Rows{};
}

TEST(XlsxTest, WorkbookRoundTrips) {
  Rows rows{{"姓名", "手机号", "备注"},
            {"张三", "13800138000", "A & B <c> \"d\" 'e'"},
            {"李四", "", "第一行\n第二行"},
            {"", "", ""},
            {"王五", "=1+1", "tab\there"}};
  auto file = xlsx::workbook("居民名单", rows);
  ASSERT_TRUE(file.starts_with("PK\x03\x04"));
  Rows want = rows;
  want[3].clear();  // empty cells are not written; an empty row reads back empty
  EXPECT_EQ(read_back(file), want);
}

TEST(XlsxTest, UnusualTextSurvives) {
  Rows rows{
      {"h"}, {"cr\r\nlf"}, {std::string("ctl\x01\x1F", 5)}, {"_x0041_ literal"}, {"  spaces  "}};
  EXPECT_EQ(read_back(xlsx::workbook("S", rows)), rows);
  // Invalid UTF-8 cannot go into XML; it becomes U+FFFD instead of breaking the file.
  std::string bad = std::string("a\xFF") + "b", replaced = std::string("a\xEF\xBF\xBD") + "b";
  EXPECT_EQ(read_back(xlsx::workbook("S", {{bad}})), (Rows{{replaced}}));
  EXPECT_EQ(read_back(xlsx::workbook("S", {})), Rows{});
}

std::string run(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    for (std::size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    pclose(p);
  }
  return out;
}

// Checks the archive with Info-ZIP's unzip, an independent ZIP reader, and
// looks at the XML it extracts: every part present, bold header style,
// frozen first row, column widths, inline escaped strings.
TEST(XlsxTest, UnzipAcceptsWorkbook) {
  if (std::system("command -v unzip >/dev/null 2>&1") != 0) GTEST_SKIP() << "unzip not installed";
  auto path =
      std::filesystem::temp_directory_path() / ("linli_xlsx_" + std::to_string(getpid()) + ".xlsx");
  std::ofstream(path, std::ios::binary)
      << xlsx::workbook("居民/名单:*?[一]", {{"姓名", "备注"}, {"张三", "A & B <c>"}});
  std::string q = "'" + path.string() + "'";
  EXPECT_EQ(std::system(("unzip -tq " + q + " >/dev/null 2>&1").c_str()), 0);
  std::string list = run("unzip -Z1 " + q);
  for (const char* part :
       {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
        "xl/styles.xml", "xl/worksheets/sheet1.xml"}) {
    EXPECT_NE(list.find(part), std::string::npos) << part;
  }
  std::string sheet = run("unzip -p " + q + " xl/worksheets/sheet1.xml");
  EXPECT_NE(sheet.find("state=\"frozen\""), std::string::npos);
  EXPECT_NE(sheet.find("<col min=\"1\" max=\"1\" width=\"8\""), std::string::npos);
  EXPECT_NE(sheet.find("<c r=\"A1\" s=\"1\" t=\"inlineStr\">"), std::string::npos);
  EXPECT_NE(sheet.find("A &amp; B &lt;c&gt;"), std::string::npos);
  EXPECT_NE(run("unzip -p " + q + " xl/styles.xml").find("<font><b/>"), std::string::npos);
  EXPECT_NE(run("unzip -p " + q + " xl/workbook.xml").find("name=\"居民_名单____一_\""),
            std::string::npos);
  std::filesystem::remove(path);
}

constexpr const char* kWorkbook =
    R"(<?xml version="1.0"?><workbook xmlns="m" xmlns:r="rel"><sheets>)"
    R"(<sheet name="第二" sheetId="2" r:id="rId7"/><sheet name="x" sheetId="1" r:id="rId1"/></sheets></workbook>)";
constexpr const char* kRels =
    R"(<Relationships xmlns="p"><Relationship Id="rId1" Type="t/worksheet" Target="worksheets/sheet1.xml"/>)"
    R"(<Relationship Id="rId7" Type="t/worksheet" Target="/xl/worksheets/sheet2.xml"/>)"
    R"(<Relationship Id="rId9" Type="http://x/sharedStrings" Target="sharedStrings.xml"/></Relationships>)";

TEST(XlsxTest, ReadsSharedStringsAndCellTypes) {
  std::string sst =
      R"(<sst xmlns="m" count="4"><si><t>姓名</t></si><si><t xml:space="preserve">A &amp; B</t></si>)"
      R"(<si><r><rPr><b/></rPr><t>富</t></r><r><t>文本</t></r><rPh sb="0" eb="1"><t>ふ</t></rPh></si>)"
      R"(<si/></sst>)";
  std::string sheet =
      R"(<?xml version="1.0"?><x:worksheet xmlns:x="m"><x:sheetData>)"
      R"(<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="C1" t="s" s="3"><x:v>1</x:v></x:c></x:row>)"
      R"(<x:row r="3"><x:c r="B3"><x:v>13800138000</x:v></x:c><x:c t="str"><x:f>A1&amp;"x"</x:f><x:v>姓名x</x:v></x:c>)"
      R"(<x:c r="E3" t="inlineStr"><x:is><x:t>&lt;&#20013;&#x6587;&gt; &quot;&apos;</x:t></x:is></x:c></x:row>)"
      R"(<x:row r="4"><x:c r="A4" t="s"><x:v>2</x:v></x:c><x:c r="B4" t="b"><x:v>1</x:v></x:c>)"
      R"(<x:c r="C4"><x:v>1.3800138E+10</x:v></x:c><x:c r="D4" s="2"/><x:c r="E4" t="s"><x:v>3</x:v></x:c></x:row>)"
      R"(<x:row r="9"/></x:sheetData></x:worksheet>)";
  auto file = stored_zip({{"xl/workbook.xml", kWorkbook},
                          {"xl/_rels/workbook.xml.rels", kRels},
                          {"xl/sharedStrings.xml", sst},
                          {"xl/worksheets/sheet1.xml", "<worksheet/>"},
                          {"xl/worksheets/sheet2.xml", sheet}});
  EXPECT_EQ(read_back(file), (Rows{{"姓名", "", "A & B"},
                                   {},
                                   {"", "13800138000", "姓名x", "", "<中文> \"'"},
                                   {"富文本", "TRUE", "13800138000"}}));
}

TEST(XlsxTest, FallsBackToFirstWorksheetFile) {
  auto file =
      stored_zip({{"xl/worksheets/sheet1.xml",
                   R"(<worksheet><sheetData><row><c t="inlineStr"><is><t>a</t></is></c>)"
                   R"(<c t="inlineStr"><is><t>b</t></is></c></row></sheetData></worksheet>)"}});
  EXPECT_EQ(read_back(file), (Rows{{"a", "b"}}));
}

TEST(XlsxTest, RefusesGarbageAndBrokenFiles) {
  for (std::string bad : {std::string(), std::string("PK"), std::string("姓名,手机号\n张三,138\n"),
                          std::string(1000, 'x')}) {
    auto r = xlsx::read_first_sheet(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::invalid);
  }
  auto good = xlsx::workbook("S", {{"a", "b"}, {"c", "d"}});
  // The sheet is the last entry, so the bytes just before the central
  // directory are its deflated data: inflate or the CRC check must fail.
  std::size_t cd = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    cd |= std::size_t{static_cast<unsigned char>(good[good.size() - 22 + 16 + i])} << (8 * i);
  }
  std::string corrupt = good;
  for (std::size_t i = cd - 16; i < cd; ++i) corrupt[i] ^= 0x55;
  EXPECT_FALSE(xlsx::read_first_sheet(corrupt));
  EXPECT_FALSE(xlsx::read_first_sheet(good.substr(0, good.size() - 10)));
}

TEST(XlsxTest, RefusesZipBomb) {
  auto file = stored_zip({{"xl/worksheets/sheet1.xml", "<worksheet/>"}}, 65l << 20);
  auto r = xlsx::read_first_sheet(file);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::invalid);
  EXPECT_NE(r.error().detail.find("64MB"), std::string::npos) << r.error().detail;
}

TEST(XlsxTest, RefusesDoctypeAndHugeSparseReferences) {
  auto doctype =
      stored_zip({{"xl/worksheets/sheet1.xml",
                   R"(<!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet><sheetData/></worksheet>)"}});
  auto r = xlsx::read_first_sheet(doctype);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("DOCTYPE"), std::string::npos);
  // 150 rows that each reach column XFD would materialise ~2.5M cells.
  std::string rows;
  for (int i = 1; i <= 150; ++i) {
    rows += "<row r=\"" + std::to_string(i) + "\"><c r=\"XFD" + std::to_string(i) +
            "\" t=\"inlineStr\"><is><t>x</t></is></c></row>";
  }
  auto sparse = stored_zip(
      {{"xl/worksheets/sheet1.xml", "<worksheet><sheetData>" + rows + "</sheetData></worksheet>"}});
  r = xlsx::read_first_sheet(sparse);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("表格过大"), std::string::npos) << r.error().detail;
}

}  // namespace
