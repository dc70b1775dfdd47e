#include "core/calendar.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <limits>
#include <string>
#include <vector>

#include "core/clock.hpp"

namespace {

using namespace linli;
using calendar::Calendar;
using calendar::Unit;

constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 24 * kHour;

// 国务院办公厅关于2026年部分节假日安排的通知, as an administrator would type it.
constexpr std::string_view kNotice2026 =
    "日期,类型,名称\n"
    "2026-01-01,放假,元旦\n"
    "2026-01-02,放假,元旦\n"
    "2026-01-03,放假,元旦\n"
    "2026-01-04,上班,元旦调休\n"
    "2026-02-14,上班,春节调休\n"
    "2026-02-15,放假,春节\n"
    "2026-02-16,放假,春节\n"
    "2026-02-17,放假,春节\n"
    "2026-02-18,放假,春节\n"
    "2026-02-19,放假,春节\n"
    "2026-02-20,放假,春节\n"
    "2026-02-21,放假,春节\n"
    "2026-02-22,放假,春节\n"
    "2026-02-23,放假,春节\n"
    "2026-02-28,上班,春节调休\n"
    "2026-04-04,放假,清明节\n"
    "2026-04-05,放假,清明节\n"
    "2026-04-06,放假,清明节\n"
    "2026-05-01,放假,劳动节\n"
    "2026-05-02,放假,劳动节\n"
    "2026-05-03,放假,劳动节\n"
    "2026-05-04,放假,劳动节\n"
    "2026-05-05,放假,劳动节\n"
    "2026-05-09,上班,劳动节调休\n"
    "2026-06-19,放假,端午节\n"
    "2026-06-20,放假,端午节\n"
    "2026-06-21,放假,端午节\n"
    "2026-09-20,上班,国庆节调休\n"
    "2026-09-25,放假,中秋节\n"
    "2026-09-26,放假,中秋节\n"
    "2026-09-27,放假,中秋节\n"
    "2026-10-01,放假,国庆节\n"
    "2026-10-02,放假,国庆节\n"
    "2026-10-03,放假,国庆节\n"
    "2026-10-04,放假,国庆节\n"
    "2026-10-05,放假,国庆节\n"
    "2026-10-06,放假,国庆节\n"
    "2026-10-07,放假,国庆节\n"
    "2026-10-10,上班,国庆节调休\n";

std::vector<calendar::DayOverride> notice_2026() {
  auto r = calendar::parse_csv(kNotice2026);
  EXPECT_TRUE(r) << (r ? "" : r.error().detail);
  return r ? *r : std::vector<calendar::DayOverride>{};
}

const Calendar& cal2026() {
  static const Calendar cal(notice_2026());
  return cal;
}

// UTC ms of hh:mm on a Shanghai day.
std::int64_t at(std::string_view ymd, int hh = 0, int mm = 0) {
  auto start = clock::shanghai_day_start(ymd);
  EXPECT_TRUE(start.has_value()) << ymd;
  return start.value_or(0) + hh * kHour + mm * 60'000LL;
}

// 24:00 Shanghai at the end of a day.
std::int64_t end_of(std::string_view ymd) { return at(ymd) + kDay; }

std::int64_t workdays(std::string_view ymd, int hh, std::int64_t n,
                      const Calendar& cal = cal2026()) {
  return cal.add(at(ymd, hh), n, Unit::workdays);
}

// Readable failures: the due instant as a Shanghai day, when it is a 24:00.
std::string due_day(std::int64_t ms) {
  EXPECT_EQ(0, (ms + 8 * kHour) % kDay) << "not a Shanghai midnight: " << clock::iso(ms);
  return calendar::shanghai_day(ms - 1);
}

std::chrono::weekday weekday_of(std::string_view ymd) {
  return std::chrono::weekday{
      std::chrono::sys_days{std::chrono::days{(at(ymd) + 8 * kHour) / kDay}}};
}

// ---------------------------------------------------------------- units

// clock::iso writes its digits by hand; gmtime_r + strftime is the oracle,
// with seconds truncated toward zero as iso() has always done.
std::string iso_by_strftime(std::int64_t ms, const char* format = "%Y-%m-%dT%H:%M:%SZ") {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

TEST(CalendarTest, IsoAgreesWithStrftime) {
  const std::int64_t day = 86'400'000;
  std::vector<std::int64_t> cases = {0,
                                     1,
                                     999,
                                     1000,
                                     -1,
                                     -999,
                                     -1000,
                                     -1001,
                                     day - 1,
                                     -day,
                                     951'782'400'000 /* 2000-02-29 */,
                                     4'107'456'000'000 /* 2100-02-28 */,
                                     253'402'300'799'000 /* 9999-12-31T23:59:59 */,
                                     253'402'300'800'000 /* 10000-01-01 */,
                                     -62'167'219'200'000 /* 0000-01-01 */,
                                     -62'167'219'201'000 /* -0001-12-31 */,
                                     -30'610'224'000'000 /* 1000-01-01 */,
                                     -30'610'224'001'000,
                                     -30'610'224'000'999,
                                     253'402'300'799'999,
                                     std::numeric_limits<std::int64_t>::min(),
                                     std::numeric_limits<std::int64_t>::max()};
  std::uint64_t x = 88172645463325252ULL;  // xorshift: ms across 1900-2200
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    cases.push_back(-2'208'988'800'000 + static_cast<std::int64_t>(x % 9'467'280'000'000ULL));
  }
  for (auto ms : cases) ASSERT_EQ(clock::iso(ms), iso_by_strftime(ms)) << ms;
  // Open311 writes Shanghai time the same way: the wall clock 8 hours on.
  const std::int64_t shanghai = 8 * 3'600'000;
  for (auto ms : cases) {
    if (ms <= -(std::int64_t{1} << 62) || ms >= (std::int64_t{1} << 62)) continue;
    ASSERT_EQ(clock::shanghai_iso(ms), iso_by_strftime(ms + shanghai, "%Y-%m-%dT%H:%M:%S+08:00"))
        << ms;
  }
}

TEST(CalendarTest, Units) {
  EXPECT_EQ(calendar::parse_unit("hours").value(), Unit::hours);
  EXPECT_EQ(calendar::parse_unit("workdays").value(), Unit::workdays);
  auto bad = calendar::parse_unit("days");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::invalid);
  EXPECT_FALSE(calendar::parse_unit("Hours"));
  EXPECT_FALSE(calendar::parse_unit(""));
  EXPECT_STREQ(calendar::unit_name(Unit::hours), "hours");
  EXPECT_STREQ(calendar::unit_name(Unit::workdays), "workdays");
}

// ---------------------------------------------------------------- shanghai_day

TEST(CalendarTest, ShanghaiDayTurnsAtUtc1600) {
  // 2026-10-07T16:00:00Z is 2026-10-08 00:00 in Shanghai.
  const std::int64_t midnight = 1'791'388'800'000;
  EXPECT_EQ(clock::iso(midnight), "2026-10-07T16:00:00Z");
  EXPECT_EQ(calendar::shanghai_day(midnight - 1), "2026-10-07");
  EXPECT_EQ(calendar::shanghai_day(midnight), "2026-10-08");
  // Open311's times and the notices' deadlines read Shanghai's clock.
  EXPECT_EQ(clock::shanghai_iso(midnight), "2026-10-08T00:00:00+08:00");
  EXPECT_EQ(clock::shanghai_iso(midnight - 1), "2026-10-07T23:59:59+08:00");
  EXPECT_EQ(clock::shanghai_text(midnight + 90 * 60'000), "2026-10-08 01:30");
  EXPECT_EQ(calendar::shanghai_day(midnight + 8 * kHour - 1), "2026-10-08");  // 23:59:59Z
  EXPECT_EQ(calendar::shanghai_day(midnight + 8 * kHour), "2026-10-08");      // UTC date changes
  EXPECT_EQ(calendar::shanghai_day(midnight + kDay - 1), "2026-10-08");
  EXPECT_EQ(calendar::shanghai_day(midnight + kDay), "2026-10-09");
  // New Year: 2025-12-31T16:00Z.
  EXPECT_EQ(calendar::shanghai_day(at("2026-01-01") - 1), "2025-12-31");
  EXPECT_EQ(calendar::shanghai_day(at("2026-01-01")), "2026-01-01");
  // Leap day and the instants around the epoch (negative ms).
  EXPECT_EQ(calendar::shanghai_day(at("2028-02-29", 12)), "2028-02-29");
  EXPECT_EQ(calendar::shanghai_day(0), "1970-01-01");
  EXPECT_EQ(calendar::shanghai_day(-8 * kHour), "1970-01-01");
  EXPECT_EQ(calendar::shanghai_day(-8 * kHour - 1), "1969-12-31");
  // Absurd instants stay within what YYYY-MM-DD can name.
  EXPECT_EQ(calendar::shanghai_day(std::numeric_limits<std::int64_t>::max()), "9999-12-31");
  EXPECT_EQ(calendar::shanghai_day(std::numeric_limits<std::int64_t>::min()), "0001-01-01");
}

TEST(CalendarTest, ShanghaiDayAgreesWithClock) {
  for (std::string_view d :
       {"2026-01-01", "2026-02-28", "2026-03-01", "2026-12-31", "2000-02-29"}) {
    EXPECT_EQ(calendar::shanghai_day(at(d)), d);
    EXPECT_EQ(calendar::shanghai_day(at(d, 23, 59)), d);
  }
}

// ---------------------------------------------------------------- is_workday

TEST(CalendarTest, NoticeWeekdaysAreAsStated) {
  using namespace std::chrono;
  EXPECT_EQ(weekday_of("2026-01-04"), Sunday);
  EXPECT_EQ(weekday_of("2026-02-14"), Saturday);
  EXPECT_EQ(weekday_of("2026-02-28"), Saturday);
  EXPECT_EQ(weekday_of("2026-05-09"), Saturday);
  EXPECT_EQ(weekday_of("2026-09-20"), Sunday);
  EXPECT_EQ(weekday_of("2026-10-10"), Saturday);
  EXPECT_EQ(weekday_of("2026-09-30"), Wednesday);
  EXPECT_EQ(weekday_of("2026-10-09"), Friday);
}

TEST(CalendarTest, IsWorkdayForEachKindOfDay) {
  const Calendar& cal = cal2026();
  EXPECT_TRUE(cal.is_workday("2026-03-03"));   // plain Tuesday
  EXPECT_TRUE(cal.is_workday("2026-03-06"));   // plain Friday
  EXPECT_FALSE(cal.is_workday("2026-03-07"));  // plain Saturday
  EXPECT_FALSE(cal.is_workday("2026-03-08"));  // plain Sunday
  EXPECT_FALSE(cal.is_workday("2026-10-01"));  // holiday on a Thursday
  EXPECT_FALSE(cal.is_workday("2026-10-05"));  // holiday on a Monday
  EXPECT_FALSE(cal.is_workday("2026-10-03"));  // holiday on a Saturday
  EXPECT_FALSE(cal.is_workday("2026-02-15"));  // 春节 on a Sunday
  EXPECT_TRUE(cal.is_workday("2026-10-10"));   // 调休 Saturday
  EXPECT_TRUE(cal.is_workday("2026-09-20"));   // 调休 Sunday
  EXPECT_TRUE(cal.is_workday("2026-01-04"));   // 调休 Sunday
  EXPECT_TRUE(cal.is_workday("2026-10-08"));   // first day back
  // Not dates.
  EXPECT_FALSE(cal.is_workday(""));
  EXPECT_FALSE(cal.is_workday("2026-02-30"));
  EXPECT_FALSE(cal.is_workday("2026/10/08"));
  // Without a notice only weekends rest.
  Calendar plain;
  EXPECT_TRUE(plain.is_workday("2026-10-01"));
  EXPECT_FALSE(plain.is_workday("2026-10-10"));
}

TEST(CalendarTest, ConstructorLaterOverrideWinsAndIgnoresNonDates) {
  Calendar cal({{"2026-03-03", false, "a"}, {"2026-03-03", true, "b"}, {"not-a-day", false, ""}});
  EXPECT_TRUE(cal.is_workday("2026-03-03"));
  EXPECT_EQ(due_day(cal.add(at("2026-03-02", 10), 1, Unit::workdays)), "2026-03-03");
}

// ---------------------------------------------------------------- workdays

TEST(CalendarTest, WorkdaysHeaderExamples) {
  // Monday 10:00 + 1 working day → Tuesday 24:00.
  EXPECT_EQ(workdays("2026-03-02", 10, 1), end_of("2026-03-03"));
  // Saturday start: the first working day after it is the first.
  EXPECT_EQ(workdays("2026-03-07", 10, 1), end_of("2026-03-09"));
  EXPECT_EQ(workdays("2026-03-08", 10, 1), end_of("2026-03-09"));
  // N = 0: the end of the start day, whatever the day.
  EXPECT_EQ(workdays("2026-03-02", 10, 0), end_of("2026-03-02"));
  EXPECT_EQ(workdays("2026-10-03", 10, 0), end_of("2026-10-03"));
  // Negative is treated as 0.
  EXPECT_EQ(workdays("2026-03-02", 10, -5), end_of("2026-03-02"));
}

TEST(CalendarTest, WorkdaysAcrossPlainWeekend) {
  // Friday + 1 → Monday 24:00; the time of day does not matter.
  EXPECT_EQ(due_day(workdays("2026-03-06", 9, 1)), "2026-03-09");
  EXPECT_EQ(workdays("2026-03-06", 0, 1), end_of("2026-03-09"));
  EXPECT_EQ(workdays("2026-03-06", 23, 1), end_of("2026-03-09"));
  EXPECT_EQ(workdays("2026-03-06", 15, 5), end_of("2026-03-13"));
  EXPECT_EQ(workdays("2026-03-06", 15, 6), end_of("2026-03-16"));
}

TEST(CalendarTest, StartAtShanghaiMidnightBelongsToThatDay) {
  // 2026-03-06 00:00 Shanghai (Friday) is 2026-03-05T16:00Z (Thursday in UTC).
  std::int64_t friday_midnight = at("2026-03-06");
  EXPECT_EQ(clock::iso(friday_midnight), "2026-03-05T16:00:00Z");
  EXPECT_EQ(cal2026().add(friday_midnight, 1, Unit::workdays), end_of("2026-03-09"));
  EXPECT_EQ(cal2026().add(friday_midnight - 1, 1, Unit::workdays), end_of("2026-03-06"));
}

TEST(CalendarTest, WorkdaysAcrossPublicHoliday) {
  EXPECT_EQ(due_day(workdays("2026-09-30", 10, 1)), "2026-10-08");
  EXPECT_EQ(workdays("2026-09-30", 10, 1), end_of("2026-10-08"));
  // Without the notice the same start would be due on National Day itself.
  EXPECT_EQ(workdays("2026-09-30", 10, 1, Calendar{}), end_of("2026-10-01"));
  // 中秋 (Fri 09-25 .. Sun 09-27): Thursday + 1 → Monday.
  EXPECT_EQ(workdays("2026-09-24", 10, 1), end_of("2026-09-28"));
}

TEST(CalendarTest, MakeUpSaturdayCounts) {
  // 2026-10-09 (Friday) + 1 → 2026-10-10 (调休 Saturday) 24:00.
  EXPECT_EQ(workdays("2026-10-09", 10, 1), end_of("2026-10-10"));
  EXPECT_EQ(workdays("2026-10-09", 10, 2), end_of("2026-10-12"));
  // 春节: Friday 02-13 + 1 → 02-14 (调休 Saturday); then the holiday.
  EXPECT_EQ(workdays("2026-02-13", 10, 1), end_of("2026-02-14"));
  EXPECT_EQ(workdays("2026-02-13", 10, 2), end_of("2026-02-24"));
  // 调休 Sunday 09-20: Saturday 09-19 + 1 → Sunday 09-20.
  EXPECT_EQ(workdays("2026-09-19", 10, 1), end_of("2026-09-20"));
}

TEST(CalendarTest, StartOnHoliday) {
  // Started during 国庆: the first working day after the start day is 10-08.
  EXPECT_EQ(workdays("2026-10-01", 10, 1), end_of("2026-10-08"));
  EXPECT_EQ(workdays("2026-10-03", 10, 1), end_of("2026-10-08"));
  EXPECT_EQ(workdays("2026-10-07", 23, 1), end_of("2026-10-08"));
  EXPECT_EQ(workdays("2026-10-07", 23, 2), end_of("2026-10-09"));
  // Started on a 调休 Saturday (a working day itself): + 1 → Monday.
  EXPECT_EQ(workdays("2026-10-10", 10, 1), end_of("2026-10-12"));
}

TEST(CalendarTest, SevenAndFifteenWorkdaysAcrossNationalDay) {
  // From 2026-09-30: 10-08, 10-09, 10-10 (调休), 10-12, 10-13, 10-14, 10-15 = 7.
  EXPECT_EQ(workdays("2026-09-30", 10, 7), end_of("2026-10-15"));
  // … 10-16, 10-19, 10-20, 10-21, 10-22, 10-23, 10-26, 10-27 = 15.
  EXPECT_EQ(workdays("2026-09-30", 10, 15), end_of("2026-10-27"));
  // From Monday 09-28: 09-29, 09-30, 10-08, 10-09, 10-10, 10-12, 10-13 = 7.
  EXPECT_EQ(workdays("2026-09-28", 10, 7), end_of("2026-10-13"));
  // From Friday 09-18: 09-20 (调休 Sunday), 09-21 .. 09-24, 09-28, 09-29 = 7.
  EXPECT_EQ(workdays("2026-09-18", 10, 7), end_of("2026-09-29"));
}

TEST(CalendarTest, WorkdaysAcrossNewYear) {
  // 2025-12-31 (Wednesday): 01-01..01-03 rest, 01-04 (Sunday) works.
  EXPECT_EQ(workdays("2025-12-31", 10, 1), end_of("2026-01-04"));
  EXPECT_EQ(workdays("2025-12-31", 10, 2), end_of("2026-01-05"));
  // The end of 2026 with no 2027 notice loaded: weekends only.
  EXPECT_EQ(workdays("2026-12-31", 10, 1), end_of("2027-01-01"));
  EXPECT_EQ(workdays("2026-12-31", 10, 2), end_of("2027-01-04"));
}

// Same rule, counted one day at a time with is_workday.
std::int64_t naive(const Calendar& cal, std::int64_t start, std::int64_t n) {
  std::int64_t day_start = at(calendar::shanghai_day(start));
  while (n > 0) {
    day_start += kDay;
    if (cal.is_workday(calendar::shanghai_day(day_start))) --n;
  }
  return day_start + kDay;
}

TEST(CalendarTest, WorkdaysAgreeWithDayByDayCount) {
  const Calendar& cal = cal2026();
  for (std::int64_t s = at("2025-12-01", 13); s < at("2027-01-15"); s += kDay) {
    for (int n : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 15, 20, 30, 45}) {
      ASSERT_EQ(cal.add(s, n, Unit::workdays), naive(cal, s, n))
          << calendar::shanghai_day(s) << " + " << n;
    }
  }
  // A whole year: 365 days - 104 weekend days - 19 holidays on weekdays (the
  // other 14 fall on weekends) + 6 make-up days = 248 working days.
  int in_2026 = 0;
  for (std::int64_t d = at("2026-01-01"); d < at("2027-01-01"); d += kDay) {
    in_2026 += cal.is_workday(calendar::shanghai_day(d));
  }
  EXPECT_EQ(in_2026, 248);
  EXPECT_EQ(cal.add(at("2025-12-31"), in_2026, Unit::workdays), end_of("2026-12-31"));
}

TEST(CalendarTest, HugeWorkdayLimitsAreFastAndBounded) {
  const Calendar& cal = cal2026();
  std::int64_t start = at("2026-03-02", 10);
  // Past any notice, 5000 working days from a Monday = 1000 weeks to a Monday.
  std::int64_t far = cal.add(at("2027-01-04", 10), 5000, Unit::workdays);
  EXPECT_EQ(far, end_of("2027-01-04") + 1000 * 7 * kDay);
  std::int64_t huge = cal.add(start, std::numeric_limits<std::int64_t>::max(), Unit::workdays);
  EXPECT_GT(huge, start);
  EXPECT_EQ(huge, cal.add(start, 1'000'000, Unit::workdays));
  // Absurd start instants do not overflow.
  EXPECT_GT(cal.add(std::numeric_limits<std::int64_t>::max(), 1, Unit::workdays), 0);
  EXPECT_LT(cal.add(std::numeric_limits<std::int64_t>::min(), 1, Unit::workdays), 0);
}

// ---------------------------------------------------------------- hours

TEST(CalendarTest, HoursArePlainClockHours) {
  const Calendar& cal = cal2026();
  // Across midnight.
  EXPECT_EQ(cal.add(at("2026-03-02", 22, 30), 3, Unit::hours), at("2026-03-03", 1, 30));
  // Across a weekend and across 国庆: holidays do not stop the clock.
  EXPECT_EQ(cal.add(at("2026-03-06", 20), 24, Unit::hours), at("2026-03-07", 20));
  EXPECT_EQ(cal.add(at("2026-09-30", 20), 24, Unit::hours), at("2026-10-01", 20));
  EXPECT_EQ(cal.add(at("2026-09-30", 20), 72, Unit::hours), at("2026-10-03", 20));
  EXPECT_EQ(cal.add(at("2026-09-30", 20), 2, Unit::hours), at("2026-09-30", 22));
  // 0 and negative: the start itself.
  EXPECT_EQ(cal.add(at("2026-10-01", 9), 0, Unit::hours), at("2026-10-01", 9));
  EXPECT_EQ(cal.add(at("2026-10-01", 9), -4, Unit::hours), at("2026-10-01", 9));
  // Overflow saturates instead of wrapping.
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(cal.add(at("2026-10-01", 9), max, Unit::hours), max);
  EXPECT_EQ(cal.add(max - 1, 1, Unit::hours), max);
}

// ---------------------------------------------------------------- CSV

TEST(CalendarCsvTest, ParsesThe2026Notice) {
  auto days = notice_2026();
  ASSERT_EQ(days.size(), 39u);  // 33 放假 + 6 上班
  int holidays = 0, workdays_ = 0;
  for (const auto& d : days) (d.workday ? workdays_ : holidays)++;
  EXPECT_EQ(holidays, 33);
  EXPECT_EQ(workdays_, 6);
  EXPECT_EQ(days.front().day, "2026-01-01");
  EXPECT_FALSE(days.front().workday);
  EXPECT_EQ(days.front().name, "元旦");
  EXPECT_EQ(days.back().day, "2026-10-10");
  EXPECT_TRUE(days.back().workday);
  EXPECT_EQ(days.back().name, "国庆节调休");
}

TEST(CalendarCsvTest, AcceptsWhatSpreadsheetsWrite) {
  // BOM, CRLF, English types, reordered and extra columns, spaces, no 名称,
  // blank rows in the middle and at the end.
  auto r = calendar::parse_csv(
      "\xEF\xBB\xBF备注, 类型 ,日期\r\n"
      "x,Holiday,2026-10-01\r\n"
      ",,\r\n"
      "y, workday ,2026-10-10\r\n"
      ",,\r\n");
  ASSERT_TRUE(r) << r.error().detail;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].day, "2026-10-01");
  EXPECT_FALSE((*r)[0].workday);
  EXPECT_EQ((*r)[0].name, "");
  EXPECT_EQ((*r)[1].day, "2026-10-10");
  EXPECT_TRUE((*r)[1].workday);
}

// The single error entry for a row, or "" when the row is not reported.
std::string message_for(const Error& e, std::string_view field) {
  for (const auto& f : e.errors) {
    if (f.field == field) return f.message;
  }
  return "";
}

TEST(CalendarCsvTest, BadRowsAllReportedWithSpreadsheetRowNumbers) {
  auto r = calendar::parse_csv(
      "日期,类型,名称\n"                    // row 1
      "2026-10-01,放假,国庆节\n"            // row 2: fine
      "2026-10-02,休息,国庆节\n"            // row 3: bad type
      "2026-02-30,放假,春节\n"              // row 4: no such date
      "2026/10/03,放假,国庆节\n"            // row 5: Excel's date format
      "2026-10-01,上班,国庆节\n"            // row 6: duplicate of row 2
      "\"2026-10-04\",放假,\"国庆\n节\"\n"  // row 7: fine, a quoted newline
      ",放假,\n"                            // row 8: empty date
      "2026-10-05,,\n"                      // row 9: empty type
      "2026-13-01,x,\n");                   // row 10: two problems
  ASSERT_FALSE(r);
  const Error& e = r.error();
  EXPECT_EQ(e.kind, ErrorKind::invalid);
  EXPECT_NE(e.detail.find("7行"), std::string::npos) << e.detail;
  ASSERT_EQ(e.errors.size(), 7u);
  EXPECT_EQ(message_for(e, "第2行"), "");
  EXPECT_NE(message_for(e, "第3行").find("类型“休息”无效"), std::string::npos);
  EXPECT_NE(message_for(e, "第4行").find("日期“2026-02-30”无效"), std::string::npos);
  EXPECT_NE(message_for(e, "第5行").find("YYYY-MM-DD"), std::string::npos);
  EXPECT_EQ(message_for(e, "第6行"), "日期2026-10-01与第2行重复");
  EXPECT_EQ(message_for(e, "第7行"), "");
  EXPECT_EQ(message_for(e, "第8行"), "日期不能为空");
  EXPECT_NE(message_for(e, "第9行").find("类型不能为空"), std::string::npos);
  EXPECT_NE(message_for(e, "第10行").find("日期“2026-13-01”无效"), std::string::npos);
  EXPECT_NE(message_for(e, "第10行").find("类型“x”无效"), std::string::npos);
  // Rows in order.
  EXPECT_EQ(e.errors.front().field, "第3行");
  EXPECT_EQ(e.errors.back().field, "第10行");
}

TEST(CalendarCsvTest, DuplicateSpellingsOfTheSameDay) {
  auto r = calendar::parse_csv("日期,类型\n2026-10-01,放假\n 2026-10-01 ,holiday\n");
  ASSERT_FALSE(r);
  ASSERT_EQ(r.error().errors.size(), 1u);
  EXPECT_EQ(r.error().errors[0].field, "第3行");
  EXPECT_EQ(r.error().errors[0].message, "日期2026-10-01与第2行重复");
}

TEST(CalendarCsvTest, MissingHeader) {
  // No header at all: the first data row is read as the header.
  auto r = calendar::parse_csv("2026-10-01,放假,国庆节\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::invalid);
  ASSERT_EQ(r.error().errors.size(), 2u);
  EXPECT_EQ(r.error().errors[0].field, "第1行");
  EXPECT_EQ(r.error().errors[0].message, "表头缺少“日期”列");
  EXPECT_EQ(r.error().errors[1].message, "表头缺少“类型”列");

  auto no_type = calendar::parse_csv("日期,名称\n2026-10-01,国庆节\n");
  ASSERT_FALSE(no_type);
  ASSERT_EQ(no_type.error().errors.size(), 1u);
  EXPECT_EQ(no_type.error().errors[0].field, "第1行");
  EXPECT_EQ(no_type.error().errors[0].message, "表头缺少“类型”列");

  auto twice = calendar::parse_csv("日期,类型,日期\n2026-10-01,放假,2026-10-02\n");
  ASSERT_FALSE(twice);
  ASSERT_EQ(twice.error().errors.size(), 1u);
  EXPECT_EQ(twice.error().errors[0].message, "表头中“日期”列重复");
}

TEST(CalendarCsvTest, EmptyAndHeaderOnly) {
  for (std::string_view text : {"", "\xEF\xBB\xBF", "\n\n", ",,\r\n"}) {
    auto r = calendar::parse_csv(text);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::invalid);
    EXPECT_NE(r.error().detail.find("空"), std::string::npos) << r.error().detail;
  }
  auto header_only = calendar::parse_csv("日期,类型,名称\r\n");
  ASSERT_FALSE(header_only);
  EXPECT_NE(header_only.error().detail.find("只有表头"), std::string::npos);
}

TEST(CalendarCsvTest, RowLimit) {
  // 2000 data rows are accepted, 2001 refused. Days from 2026-01-01 onwards.
  auto doc = [](int n) {
    std::string text = "日期,类型\n";
    for (int i = 0; i < n; ++i)
      text += calendar::shanghai_day(at("2026-01-01") + i * kDay) + ",放假\n";
    return text;
  };
  auto ok = calendar::parse_csv(doc(2000));
  ASSERT_TRUE(ok) << ok.error().detail;
  EXPECT_EQ(ok->size(), 2000u);
  auto too_many = calendar::parse_csv(doc(2001));
  ASSERT_FALSE(too_many);
  EXPECT_NE(too_many.error().detail.find("2000"), std::string::npos);
}

TEST(CalendarCsvTest, CsvSyntaxErrorsNameTheLine) {
  auto r = calendar::parse_csv("日期,类型\n2026-10-01,\"放假\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::invalid);
  EXPECT_NE(r.error().detail.find("第2行"), std::string::npos) << r.error().detail;
}

TEST(CalendarCsvTest, LongName) {
  std::string name;
  for (int i = 0; i < 51; ++i) name += "节";
  auto r = calendar::parse_csv("日期,类型,名称\n2026-10-01,放假," + name + "\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errors.at(0).field, "第2行");
  name.resize(name.size() - 3);  // 50 characters
  EXPECT_TRUE(calendar::parse_csv("日期,类型,名称\n2026-10-01,放假," + name + "\n"));
}

}  // namespace
