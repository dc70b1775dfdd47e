// Word lists the demo city is drawn from. Place names are invented; personal
// names are built from common surnames and name characters, so any likeness
// to a real person is chance.
#pragma once
#include <span>
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

// ---------------------------------------------------------------------------
// The demo case history (诉求). Texts use {c} for the compound, {b} for the
// building number, {u} for the unit and {f} for the floor; a case that is
// not at a building only draws texts without {b}, {u} and {f}.

struct CaseText {
  std::string_view title, description;
};

inline constexpr CaseText kGarbageTexts[] = {
    {"垃圾桶满溢未及时清运", "{b}栋旁边的垃圾桶已经满了两天，没人清运，气味很大，招苍蝇。"},
    {"垃圾分类亭周边脏乱", "{c}东门垃圾分类亭周边散落很多垃圾，清运车来了也不清扫，希望加强保洁。"},
    {"装修垃圾堆在楼下",
     "{b}栋{u}单元有住户装修，建筑垃圾在楼下堆了一个星期没人清运，占了半条路。"},
    {"小区道路清扫不及时", "{c}主路上落叶和垃圾好几天没人扫，下雨后又脏又滑。"},
};
inline constexpr CaseText kHallwayTexts[] = {
    {"{u}单元楼道堆放纸箱，影响通行",
     "{b}栋{u}单元{f}楼楼道堆放了很多纸箱和泡沫箱，影响通行，也有消防隐患。"},
    {"楼道堆放旧家具", "{b}栋{u}单元{f}楼有住户把旧沙发、旧柜子放在楼道里，上下楼很不方便。"},
    {"楼梯间堆放杂物", "{b}栋{u}单元楼梯间堆了自行车、花盆和废品，晚上看不清容易绊倒。"},
    {"楼道堆物清理不及时", "{c}好几栋楼的楼道里都堆着杂物，希望物业统一清理。"},
};
inline constexpr CaseText kGreenTexts[] = {
    {"绿化带杂草丛生", "{b}栋前面的绿化带很久没修剪，杂草长到半人高，蚊子特别多。"},
    {"树枝遮挡低层住户采光", "{b}栋{u}单元门口的大树枝叶太茂盛，挡住了低层住户的采光，希望修剪。"},
    {"公共绿地被占用种菜", "{c}中心绿地被个别居民开垦种菜，还浇粪水，气味难闻。"},
};
inline constexpr CaseText kLiftTexts[] = {
    {"电梯经常停运", "{b}栋{u}单元电梯这个星期坏了两次，家里有老人，上下楼很困难。"},
    {"电梯运行有异响", "{b}栋{u}单元电梯运行时有明显的异响和抖动，担心安全，请尽快检修。"},
    {"电梯按键失灵", "{b}栋{u}单元电梯里{f}楼的按键按了没反应，只能到别的楼层再走楼梯。"},
    {"电梯老化故障频繁", "{c}的电梯用了十几年，最近经常出故障，希望整体检修。"},
};
inline constexpr CaseText kParkingTexts[] = {
    {"消防通道被车辆占用", "{c}{b}栋旁边的消防通道长期停着几辆私家车，万一着火消防车进不来。"},
    {"外来车辆占用小区车位", "{c}门岗不登记外来车辆，业主晚上回来经常没有车位。"},
    {"僵尸车长期占用车位", "{c}有一辆旧面包车停了大半年没人动，轮胎都瘪了，占着公共车位。"},
};
inline constexpr CaseText kFeeTexts[] = {
    {"物业费上调未公示依据",
     "物业今年上调了物业费，没有开业主大会，也没有公示依据，希望说明收费标准。"},
    {"公共收益去向不透明", "{c}的电梯广告和停车收益一直没有公示，想了解这部分钱用在哪里。"},
    {"停车费上涨有疑问", "{c}地面停车费从每月一百涨到一百五，没有提前通知，想问问依据。"},
};
inline constexpr CaseText kLightTexts[] = {
    {"路灯不亮", "{c}{b}栋旁边的路灯坏了好几天，晚上出门很黑，老人容易摔倒。"},
    {"楼道感应灯损坏", "{b}栋{u}单元{f}楼楼道感应灯不亮，晚上上下楼看不见。"},
    {"小区主路路灯损坏", "{c}主路上有三盏路灯不亮，晚上孩子放学回来很不安全。"},
};
inline constexpr CaseText kRoadTexts[] = {
    {"路面坑洼积水", "{c}主干道有一段路面破损，下雨就积水，电动车经过容易打滑。"},
    {"人行道地砖松动", "{b}栋门口的人行道地砖松动翘起，已经有老人绊倒过。"},
    {"井盖破损", "{c}{b}栋附近有个井盖裂了，踩上去会晃，担心有人掉下去。"},
};
inline constexpr CaseText kDrainTexts[] = {
    {"下水道堵塞返水", "{b}栋{u}单元一楼下水道堵了，污水从地漏返上来，家里没法住人。"},
    {"化粪池冒溢", "{b}栋后面的化粪池冒溢，污水流到路面上，臭味很重。"},
    {"雨水井堵塞路面积水", "{c}雨水井被落叶堵住，一下雨路面就积水，鞋子都湿透。"},
};
inline constexpr CaseText kNoiseTexts[] = {
    {"楼上夜间噪音扰民",
     "{b}栋{u}单元楼上住户每天晚上十一点后还在拖桌椅、走路声音很大，影响休息。"},
    {"装修不守时间规定", "{b}栋{u}单元有住户装修，中午和周末也在用电钻，家里老人孩子没法休息。"},
    {"广场舞音响声音过大", "{c}广场每天晚上跳广场舞，音响声音太大，九点半以后还不停。"},
};
inline constexpr CaseText kLeakTexts[] = {
    {"楼上漏水渗到我家",
     "{b}栋{u}单元楼上卫生间漏水，我家{f}楼的天花板渗水发霉，和楼上沟通没有结果。"},
    {"空调冷凝水滴落", "{b}栋{u}单元楼上空调冷凝水一直滴在我家窗台上，声音吵，还溅湿了晾的衣服。"},
    {"外墙渗水纠纷", "{b}栋{u}单元{f}楼外墙渗水，楼上楼下都说不是自己的责任，希望帮忙协调。"},
    {"顶楼漏水无人维修", "{c}几栋老楼顶层下雨就漏水，楼上楼下互相推诿，希望协调维修。"},
};
inline constexpr CaseText kPetTexts[] = {
    {"邻居家狗夜间吠叫", "{b}栋{u}单元邻居家的狗每天夜里叫，沟通过几次没有改善。"},
    {"遛狗不牵绳", "{c}有人遛狗不牵绳，也不清理粪便，孩子们很害怕。"},
    {"楼道内养鸡", "{b}栋{u}单元有住户在楼道里养了几只鸡，气味很大，也不卫生。"},
};
inline constexpr CaseText kFireTexts[] = {
    {"消防栓箱内无水带", "{b}栋{u}单元的消防栓箱里没有水带，报警按钮也坏了。"},
    {"楼道灭火器过期", "{b}栋{u}单元楼道里的灭火器压力表指在红区，标签显示已经过期。"},
    {"消防通道堆放杂物", "{c}{b}栋后面的消防通道堆了木板和废品，消防车进不来。"},
    {"消防设施老化", "{c}不少楼栋的灭火器过期、消防栓没水，希望全面检查。"},
};
inline constexpr CaseText kEbikeTexts[] = {
    {"电动车在楼道充电", "{b}栋{u}单元有人把电动车推进楼道，从家里拉线充电，很危险。"},
    {"飞线充电", "{b}栋{f}楼有住户从窗户拉电线下来给电动车充电，电线就挂在一楼窗外。"},
    {"充电桩不够用", "{c}充电桩太少，很多人只能在楼下私拉电线充电，希望增设充电桩。"},
};
inline constexpr CaseText kThrowTexts[] = {
    {"高空抛物", "{b}栋楼下经常有人从楼上扔垃圾，昨天差点砸到人，希望查一查。"},
    {"楼上扔烟头", "{b}栋{u}单元楼上总往下扔烟头，我家{f}楼阳台的衣服被烫了几个洞。"},
    {"高空抛物屡禁不止", "{c}最近好几次有人从楼上往下扔东西，希望查一查并加装监控。"},
};
inline constexpr CaseText kHardshipTexts[] = {
    {"低保申请咨询", "家里老人生病住院，收入很低，想咨询低保怎么申请、要准备什么材料。"},
    {"困难家庭临时救助", "爱人失业，孩子上学，家里一时周转不过来，想问有没有临时救助。"},
    {"残疾人补贴申请", "家里有二级残疾人，想申请残疾人生活补贴和护理补贴。"},
};
inline constexpr CaseText kJobTexts[] = {
    {"就业岗位咨询", "孩子大学毕业半年还没找到工作，想了解社区有没有就业推荐和技能培训。"},
    {"灵活就业社保咨询", "我在送外卖，想咨询灵活就业人员怎么交养老和医疗保险。"},
    {"失业登记咨询", "公司裁员刚失业，想问在社区怎么办失业登记、能不能领失业金。"},
};
inline constexpr CaseText kElderlyTexts[] = {
    {"独居老人需要助餐", "{b}栋{u}单元有位独居老人行动不便，想申请社区老年食堂送餐上门。"},
    {"适老化改造申请", "家里老人八十多岁，想申请卫生间扶手、防滑地面等适老化改造。"},
    {"高龄津贴咨询", "父亲今年满八十岁，想咨询高龄津贴怎么申请。"},
};
inline constexpr CaseText kStallTexts[] = {
    {"小区门口占道经营", "{c}东门外早上有很多流动摊贩占道卖菜，车和人都过不去。"},
    {"夜宵摊占用人行道", "{c}门口的夜宵摊把桌椅摆到人行道上，晚上很吵，地上全是油污。"},
};
inline constexpr CaseText kBuildTexts[] = {
    {"一楼住户违章搭建", "{b}栋一楼住户在院子里搭了彩钢房，占了公共绿地。"},
    {"楼顶加盖违建", "{b}栋顶楼住户在楼顶加盖阳光房，担心楼板承重和防水。"},
    {"私自圈占公共用地", "{c}有住户用铁栅栏把楼前的公共空地圈起来自己用。"},
};
inline constexpr CaseText kPollutionTexts[] = {
    {"夜间施工噪声", "{c}旁边的工地晚上十点后还在施工打桩，噪声很大，整夜睡不好。"},
    {"餐馆油烟扰民", "{c}临街餐馆的油烟直接排向居民楼，家里窗户都不敢开。"},
    {"商铺音响噪声", "{c}门口的商铺整天用大音响放音乐招揽顾客，吵得人心烦。"},
};

// Every leaf category with its share of cases (tenths of a percent), what a
// handler writes when it is done, and the departments (indices into
// kDepartments, -1 none) a whistle on it calls.
struct CaseCategory {
  std::string_view code;
  int weight;
  std::span<const CaseText> texts;
  std::string_view resolved[2];
  int departments[2];
};

inline constexpr CaseCategory kCaseCategories[] = {
    {"env.garbage",
     95,
     kGarbageTexts,
     {"已联系保洁人员清运，现场已清理干净。", "已增加清运频次，垃圾桶当天清空。"},
     {0, -1}},
    {"env.hallway",
     100,
     kHallwayTexts,
     {"已上门劝导住户，楼道杂物已清理。", "已会同楼栋长清理楼道，张贴了禁止堆物提示。"},
     {-1, -1}},
    {"env.green",
     45,
     kGreenTexts,
     {"已安排绿化工人修剪，杂草已清除。", "已协调恢复绿地，居民表示理解。"},
     {-1, -1}},
    {"property.lift",
     70,
     kLiftTexts,
     {"维保单位已检修更换部件，电梯恢复正常运行。", "已完成电梯检修并通过安全检查。"},
     {2, 1}},
    {"property.parking",
     75,
     kParkingTexts,
     {"已联系车主挪车，并在消防通道划线警示。", "已加强门岗登记，外来车辆统一停放。"},
     {3, -1}},
    {"property.fee",
     40,
     kFeeTexts,
     {"物业已公示收费依据和收支明细，并向居民作了说明。",
      "已组织业委会和物业沟通，收费问题已解释清楚。"},
     {1, -1}},
    {"repair.light",
     40,
     kLightTexts,
     {"已更换灯泡和感应开关，照明恢复。", "供电维修人员已修复线路，路灯恢复照明。"},
     {7, -1}},
    {"repair.road",
     30,
     kRoadTexts,
     {"已修补破损路面，积水问题解决。", "已更换松动地砖和破损井盖。"},
     {1, 0}},
    {"repair.drain",
     40,
     kDrainTexts,
     {"已疏通下水管道，排水恢复正常。", "已安排吸污车清掏化粪池并消毒。"},
     {6, 1}},
    {"dispute.noise",
     80,
     kNoiseTexts,
     {"楼栋长和网格员上门调解，双方达成约定。", "已告知装修管理规定，对方承诺按时施工。"},
     {3, -1}},
    {"dispute.leak",
     70,
     kLeakTexts,
     {"已请物业上门查明漏点，楼上住户已维修并赔偿。", "经调解双方同意共同出资维修。"},
     {-1, -1}},
    {"dispute.pet",
     50,
     kPetTexts,
     {"已上门劝导养宠住户文明养犬，对方表示配合。", "已清理楼道家禽，住户承诺不再饲养。"},
     {3, -1}},
    {"safety.fire",
     30,
     kFireTexts,
     {"已补齐水带并更换过期灭火器。", "已清理消防通道杂物，并安排定期巡查。"},
     {3, 1}},
    {"safety.ebike",
     50,
     kEbikeTexts,
     {"已劝离楼道电动车并拆除飞线，宣传了安全充电。", "已在楼下增设集中充电点。"},
     {3, 7}},
    {"safety.throw",
     20,
     kThrowTexts,
     {"已逐户走访宣传，并协调加装监控。", "已找到抛物住户并进行了批评教育。"},
     {3, -1}},
    {"help.hardship",
     30,
     kHardshipTexts,
     {"已上门核实情况，协助提交救助申请材料。", "已办理临时救助，并纳入重点关怀名单。"},
     {5, -1}},
    {"help.job",
     20,
     kJobTexts,
     {"已推荐三个就业岗位并登记参加技能培训。", "已讲解政策并协助办理相关登记。"},
     {-1, -1}},
    {"help.elderly",
     40,
     kElderlyTexts,
     {"已为老人登记助餐服务，每天送餐上门。", "已申报适老化改造，施工队已完成安装。"},
     {5, 4}},
    {"urban.stall",
     30,
     kStallTexts,
     {"城管已劝离流动摊贩，并设置了便民疏导点。", "已规范夜宵摊经营范围和时间。"},
     {0, 2}},
    {"urban.build",
     20,
     kBuildTexts,
     {"违建已由当事人自行拆除，绿地恢复。", "已下达整改通知，违建已拆除。"},
     {0, 1}},
    {"urban.pollution",
     25,
     kPollutionTexts,
     {"已责令工地夜间停工，并公示施工时间。", "餐馆已加装油烟净化器并改变排烟方向。"},
     {0, 2}},
};

inline constexpr std::string_view kRejectReasons[] = {
    "反映的是商品房买卖合同纠纷，不属于受理范围，已告知可向人民法院起诉。",
    "反映的事项已由有关部门立案处理，已告知咨询渠道。",
    "诉求内容不完整，多次联系未能核实，请补充后重新提交。",
};
inline constexpr std::string_view kEscalateReasons[] = {
    "涉及多方协调，本级难以解决，提请上一级处理。",
    "需要动用公共维修资金，提请社区协调。",
    "当事人不配合调解，提请上一级介入。",
    "涉及职能部门执法，提请街道协调。",
};
inline constexpr std::string_view kReworkReasons[] = {
    "现场复查仍未整改到位，请彻底处理。",
    "居民反映问题没有解决，请重新处理。",
    "整改不彻底，仍有遗留问题。",
};
inline constexpr std::string_view kSuspendReasons[] = {
    "需等待公共维修资金审批。",
    "需召开业主大会表决后实施。",
    "当事人长期在外，待其返回后处理。",
};
inline constexpr std::string_view kStartNotes[] = {
    "已电话联系居民，约好上门查看。",
    "已到现场查看情况。",
    "已联系居民了解详细情况。",
    "",
};
inline constexpr std::string_view kWhistleNotes[] = {
    "需要职能部门到场联合处置。",
    "超出社区处置权限，请部门报到。",
    "请相关部门到现场会商。",
};
inline constexpr std::string_view kActNotes[] = {
    "已到现场执法处置，问题已整改。",
    "已现场检查并责令整改。",
    "已安排专业人员处理完毕。",
};
inline constexpr std::string_view kSatisfiedComments[] = {
    "处理很及时，谢谢！", "问题解决了，非常满意。", "网格员很负责，点赞。", "", "",
};
inline constexpr std::string_view kBasicComments[] = {
    "解决了，就是时间有点长。",
    "基本解决，希望以后多巡查。",
    "",
};
inline constexpr std::string_view kUnsatisfiedComments[] = {
    "问题没有彻底解决，过几天又出现了。",
    "处理太慢，打了好几次电话。",
    "",
};

}  // namespace linli::demo::names
