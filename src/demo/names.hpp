// Word lists the demo city is drawn from. Place names are invented; personal
// names are built from common surnames and name characters, so any likeness
// to a real person is chance.
#pragma once
#include <string_view>

namespace linli::demo::names {

struct Weighted {
  std::string_view text;
  int weight;  // relative frequency, tenths of a percent of the population
};

// Common surnames, weighted roughly by how often they occur in China.
inline constexpr Weighted kSurnames[] = {
    {"王", 71},  {"李", 70}, {"张", 67}, {"刘", 54}, {"陈", 45}, {"杨", 31}, {"黄", 22}, {"赵", 20},
    {"吴", 20},  {"周", 19}, {"徐", 13}, {"孙", 12}, {"马", 12}, {"朱", 11}, {"胡", 11}, {"郭", 10},
    {"何", 10},  {"林", 9},  {"罗", 9},  {"高", 9},  {"郑", 8},  {"梁", 7},  {"谢", 7},  {"宋", 6},
    {"唐", 6},   {"许", 6},  {"韩", 5},  {"冯", 5},  {"邓", 5},  {"曹", 5},  {"彭", 5},  {"曾", 4},
    {"肖", 4},   {"田", 4},  {"董", 4},  {"袁", 4},  {"潘", 4},  {"于", 4},  {"蒋", 4},  {"蔡", 4},
    {"余", 4},   {"杜", 3},  {"叶", 3},  {"程", 3},  {"苏", 3},  {"魏", 3},  {"吕", 3},  {"丁", 3},
    {"任", 3},   {"沈", 3},  {"姚", 3},  {"卢", 3},  {"姜", 3},  {"崔", 2},  {"钟", 2},  {"谭", 2},
    {"陆", 2},   {"汪", 2},  {"范", 2},  {"金", 2},  {"石", 2},  {"廖", 2},  {"贾", 2},  {"夏", 2},
    {"付", 2},   {"方", 2},  {"邹", 2},  {"熊", 2},  {"秦", 2},  {"江", 2},  {"雷", 2},  {"龙", 2},
    {"陶", 1},   {"贺", 1},  {"顾", 1},  {"毛", 1},  {"龚", 1},  {"万", 1},  {"戴", 1},  {"严", 1},
    {"欧阳", 1},
};

// Given names follow the fashion of the decade a person was born in.
inline constexpr std::string_view kElderMale[] = {
    "建国", "建华", "建军", "国强", "国华", "国庆", "志强", "志明", "德明", "德华",
    "振华", "卫国", "卫东", "文明", "永胜", "金山", "长江", "汉生", "明华", "正清",
    "福生", "立新", "学文", "兴国", "树林", "凤山", "家明", "宝华", "继光", "思源",
};
inline constexpr std::string_view kElderFemale[] = {
    "秀英", "桂英", "秀兰", "桂兰", "玉兰", "凤英", "淑珍", "桂芳", "秀珍", "玉珍",
    "桂珍", "秀芳", "凤兰", "玉梅", "翠兰", "素芬", "淑英", "美华", "丽华", "春梅",
    "冬梅", "红梅", "金凤", "爱华", "惠珍", "月娥", "玉芬", "桂香", "秀云", "兰英",
};
inline constexpr std::string_view kMiddleMale1[] = {
    "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉",
    "鹏", "华", "飞", "斌", "波", "宇", "浩", "凯", "健", "俊", "帆", "亮",
    "峰", "林", "东", "文", "海", "龙", "兵", "锋", "鑫", "彬", "毅",
};
inline constexpr std::string_view kMiddleMale2[] = {
    "志伟", "建平", "海波", "晓东", "文杰", "俊峰", "永强", "国栋", "小龙", "建新",
    "立军", "宏伟", "振宇", "晓峰", "春雷", "家豪", "亚军", "新华", "明亮", "剑锋",
    "卫华", "志刚", "海涛", "红兵", "建伟", "德胜", "晓明", "文博", "国平", "少华",
};
inline constexpr std::string_view kMiddleFemale1[] = {
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "婷", "雪", "慧",
    "红", "琴", "颖", "洁", "萍", "莉", "倩", "丹", "晶", "璐", "岚", "琳", "蓉",
};
inline constexpr std::string_view kMiddleFemale2[] = {
    "丽娟", "晓燕", "海燕", "秀丽", "春燕", "丽萍", "晓红", "彩霞", "美玲", "雪梅",
    "丽君", "晓丽", "艳红", "玉婷", "小红", "文静", "晓雯", "慧敏", "婷婷", "桂华",
    "红霞", "晓静", "丽芳", "亚男", "雅琴", "素梅", "晓梅", "冬雪", "春花", "玉洁",
};
inline constexpr std::string_view kYoungMale[] = {
    "浩然", "宇轩", "子轩", "俊杰", "梓豪", "浩宇", "博文", "皓轩", "宇航", "子墨",
    "一鸣", "思远", "泽宇", "天佑", "奕辰", "俊熙", "明轩", "铭泽", "锦程", "子睿",
    "宇辰", "晨阳", "恩泽", "嘉乐", "梓航", "睿",   "航",   "哲",   "昊",   "晨",
};
inline constexpr std::string_view kYoungFemale[] = {
    "欣怡", "梓涵", "诗琪", "雨桐", "子涵", "思彤", "一诺", "可欣", "紫萱", "梦琪",
    "语嫣", "若曦", "雨欣", "佳怡", "欣妍", "诗涵", "婉清", "芷若", "梓萱", "可馨",
    "悦彤", "雅静", "思琪", "安琪", "语桐", "悦",   "琪",   "彤",   "萱",   "瑶",
};

// The invented district, its streets and communities. Each community holds
// three compounds (小区); each compound is one grid.
inline constexpr std::string_view kDistrict = "青湖区";
inline constexpr double kCentreLat = 30.52, kCentreLng = 114.31;

enum class Style { walkup, mid_rise, high_rise };  // 老旧多层, 小高层, 高层

struct CompoundName {
  std::string_view name;
  Style style;
};

struct CommunityName {
  std::string_view name;
  int street;  // index into kStreets
  CompoundName compounds[3];
};

inline constexpr std::string_view kStreets[] = {"和平街道", "安康街道"};

// The first compound is where the demo accounts work: a mid-rise estate with
// a property company and an owners' committee.
inline constexpr CommunityName kCommunities[] = {
    {"桃源社区",
     0,
     {{"幸福里小区", Style::mid_rise},
      {"桃园新村", Style::walkup},
      {"锦绣华庭", Style::high_rise}}},
    {"枫林社区",
     0,
     {{"枫林雅居", Style::high_rise}, {"春晖小区", Style::walkup}, {"阳光花园", Style::mid_rise}}},
    {"南湖社区",
     0,
     {{"南湖新村", Style::walkup}, {"丽景苑", Style::mid_rise}, {"碧水蓝湾", Style::high_rise}}},
    {"翠苑社区",
     1,
     {{"翠竹苑", Style::mid_rise}, {"惠民小区", Style::walkup}, {"金桂园", Style::mid_rise}}},
    {"龙井社区",
     1,
     {{"龙井小区", Style::walkup}, {"和谐家园", Style::mid_rise}, {"怡和苑", Style::high_rise}}},
};

// ID number region prefixes (GB/T 2260 format): most residents were born in
// the district's own city, some elsewhere in the province, a few further.
inline constexpr Weighted kBirthRegions[] = {
    {"420106", 60}, {"420102", 8}, {"420111", 6}, {"420103", 4}, {"421022", 4}, {"429004", 3},
    {"421181", 3},  {"410105", 3}, {"430103", 3}, {"360102", 2}, {"500101", 2}, {"510104", 2},
};

inline constexpr std::string_view kMobilePrefixes[] = {
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151",
    "152", "153", "155", "156", "157", "158", "159", "166", "173", "177", "180", "181",
    "182", "183", "185", "186", "187", "188", "189", "191", "198", "199",
};

// Where in-service party members work (they live here, work there).
inline constexpr std::string_view kEmployers[] = {
    "区税务局",     "第三人民医院", "区教育局",     "市第十二中学", "区人民法院",
    "区供电公司",   "区财政局",     "市自来水公司", "区人民检察院", "农商银行青湖支行",
    "区城管执法局", "区卫健局",     "区图书馆",     "青湖实验小学", "区住建局",
};

// Departments answer the whistle (吹哨报到); the first is the demo account's.
inline constexpr std::string_view kDepartments[] = {
    "青湖区城管执法局", "青湖区住建局", "青湖区市场监管局", "青湖公安分局",
    "青湖区卫健局",     "青湖区民政局", "青湖供水公司",     "青湖供电公司",
};
inline constexpr std::string_view kResidentUnits[] = {"第三人民医院", "区税务局", "市第十二中学"};
inline constexpr std::string_view kPropertyCompanies[] = {
    "安居物业服务有限公司", "邻安物业管理有限公司", "鑫诚物业服务有限公司"};
inline constexpr std::string_view kSocialOrgs[] = {"青湖区邻里社工服务中心",
                                                   "桃源社区夕阳红志愿服务队"};
// Merchants of the points alliance (商家联盟), all in the first two communities.
inline constexpr std::string_view kMerchants[] = {"洁亮洗车店", "丝艺理发店", "好帮手家政服务",
                                                  "惠民超市", "康宁大药房"};

}  // namespace linli::demo::names
