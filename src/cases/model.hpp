// Residents' requests: plain types and the names people read (docs/CASES.md).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace linli::cases {

// Lowest first: a case goes up only by an explicit, recorded step.
inline const std::vector<std::string> kLevels = {"building", "grid", "community", "street",
                                                 "department"};
inline const std::vector<std::string> kTypes = {"big", "practical", "important", "urgent", "hard"};
inline const std::vector<std::string> kUrgencies = {"normal", "urgent"};
inline const std::vector<std::string> kChannels = {"mobile",  "patrol",  "hotline",
                                                   "meeting", "station", "open311"};
// Every state a case can be in (the CHECK on cases.state).
inline const std::vector<std::string> kStates = {"submitted",   "accepted", "rejected",  "assigned",
                                                 "in_progress", "resolved", "follow_up", "closed",
                                                 "suspended",   "merged"};
inline const std::vector<std::string> kOpenStates = {
    "submitted", "accepted", "assigned", "in_progress", "resolved", "follow_up", "suspended"};
// The others: finished one way or another (Open311's "closed").
inline const std::vector<std::string> kDoneStates = {"rejected", "closed", "merged"};

const char* level_name(std::string_view level);
const char* state_name(std::string_view state);
const char* type_name(std::string_view type);
const char* urgency_name(std::string_view urgency);
const char* channel_name(std::string_view channel);
const char* action_name(std::string_view action);
const char* rating_name(std::string_view rating);
const char* whistle_state_name(std::string_view state);
int level_rank(const std::string& level);  // building 0 … department 4; -1 unknown

struct Case {
  std::int64_t id = 0;
  std::string code, title, description;
  std::int64_t category_id = 0;
  std::string category_name, case_type, urgency, channel, state, suspended_from, level;
  std::int64_t level_node_id = 0, node_id = 0;
  std::string node_path, address;
  std::optional<std::int64_t> household_id;
  std::optional<double> lat, lng;
  std::int64_t reporter_resident_id = 0, reporter_user_id = 0;
  std::string reporter_name, reporter_phone_mask;
  bool anonymous = false;
  std::int64_t handler_user_id = 0, handler_org_id = 0, merged_into_id = 0;
  std::optional<std::int64_t> accept_due, contact_due, resolve_due, accepted_at, dispatched_at,
      contacted_at, resolved_at, closed_at, rated_at;
  std::string closed_level, close_reason, rating, rating_comment;
  std::optional<bool> rating_solved;
  std::int64_t rework_count = 0, escalation_count = 0, suspended_ms = 0;
  std::optional<std::int64_t> suspended_at;
  bool whistled = false;
  std::int64_t created_at = 0, updated_at = 0;
  std::string open311_token;
};

// What an intake form gives.
struct CaseInput {
  std::string title, description;
  std::int64_t category_id = 0;
  std::string case_type = "practical", urgency = "normal", channel = "mobile";
  std::int64_t node_id = 0, household_id = 0;
  std::optional<double> lat, lng;
  std::string address, reporter_name, reporter_phone;
  bool anonymous = false;
  std::vector<std::string> photos;  // sha256 of uploaded blobs
  std::string open311_token;
};

// The optional fields an action may carry.
struct ActionInput {
  std::string note, reason, level;
  std::int64_t handler_user_id = 0, org_id = 0, into_case_id = 0;
  std::vector<std::string> photos;
  std::optional<bool> passed, solved;
  std::string rating, comment;
  bool is_public = true;
};

// Where a queue page ends: the deadline it sorts by (cases without one sort
// last, as INT64_MAX) and the id that breaks ties.
struct QueueCursor {
  std::int64_t due = 0, id = 0;
};
// A queue page, written as it was read (CaseService::queue).
struct QueuePage {
  std::string items;  // its case summaries as one JSON array
  std::optional<QueueCursor> next;
};
// A page of the case list, written as it was read (CaseService::list_page).
struct ListPage {
  std::string items;                 // its case summaries as one JSON array
  std::optional<std::int64_t> next;  // the last id shown, when another page follows
};
// One case of a page being written: its place in the deadline order and
// where its summary object lies in the page's text.
struct PageRow {
  std::int64_t due = 0, id = 0;
  std::size_t begin = 0, end = 0;
};

struct CaseFilter {
  // state: one state, or "open" (kOpenStates), or "done" (kDoneStates).
  std::string state, level, case_type, urgency, channel, q;
  std::int64_t category_id = 0, node_id = 0, org_id = 0;
  bool overdue = false, mine = false;
  std::optional<std::int64_t> from_ms, to_ms;
  std::int64_t after = 0;
  int limit = 50;
};

}  // namespace linli::cases
