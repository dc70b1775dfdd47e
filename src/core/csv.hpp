// RFC 4180 CSV, as Excel and WPS write it (UTF-8, optional BOM, CRLF or LF).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace linli::csv {

using Record = std::vector<std::string>;

// Parses a whole document. Quoted fields may hold commas, quotes ("") and
// newlines. A leading UTF-8 BOM is skipped; trailing blank lines ignored.
// Errors (invalid UTF-8, an unterminated quote) name the 1-based line.
Result<std::vector<Record>> parse(std::string_view text);
// Writes one record, quoting where needed, ending with CRLF.
std::string format_record(const Record& r);
// A whole document with a UTF-8 BOM so Excel opens Chinese correctly.
std::string format(const std::vector<Record>& rows);

}  // namespace linli::csv

namespace linli::xlsx {

// A minimal Office Open XML workbook with one sheet: the first row bold as a
// header, every cell as an inline string. Opens in Excel, WPS and LibreOffice.
std::string workbook(std::string_view sheet_name,
                     const std::vector<std::vector<std::string>>& rows);
// Reads the first sheet of a workbook written by Excel/WPS/LibreOffice
// (shared strings and inline strings; deflate and stored entries).
Result<std::vector<std::vector<std::string>>> read_first_sheet(std::string_view file);

}  // namespace linli::xlsx
