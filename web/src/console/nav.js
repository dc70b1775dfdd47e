// The left navigation, as UX.md lists the modules. `perm` hides an entry from
// users whose roles lack it; entries without `perm` are open to all staff.
// Modules not built yet lead to the "功能建设中" page.
import {
  House,
  ChatLineSquare,
  Medal,
  Present,
  Promotion,
  Flag,
  Connection,
  ChatDotRound,
  OfficeBuilding,
  DataBoard,
  Setting,
} from '@element-plus/icons-vue';

export const NAV = [
  { path: '/', title: 'nav.workbench', icon: House },
  {
    key: 'cases',
    title: 'nav.cases',
    icon: ChatLineSquare,
    children: [
      { path: '/cases/queue', title: 'nav.casesQueue', perm: 'case.read' },
      { path: '/cases/search', title: 'nav.casesSearch', perm: 'case.read' },
      { path: '/cases/new', title: 'nav.casesNew', perm: 'case.create' },
      { path: '/cases/meeting', title: 'nav.casesMeeting', perm: 'case.create' },
      { path: '/cases/kpis', title: 'nav.casesKpis', perm: 'case.kpi' },
      { path: '/cases/settings', title: 'nav.casesSettings', perm: 'case.settings' },
    ],
  },
  {
    key: 'points',
    title: 'nav.points',
    icon: Medal,
    children: [
      { path: '/points/record', title: 'points.nav.record', perm: 'points.record' },
      { path: '/points/review', title: 'points.nav.review', perm: 'points.review' },
      { path: '/points/notice', title: 'points.nav.notice', perm: 'points.read' },
      { path: '/points/objections', title: 'points.nav.objections', perm: 'points.review' },
      { path: '/points/shop', title: 'points.nav.shop', perm: 'points.read' },
      { path: '/points/rankings', title: 'points.nav.rankings', perm: 'points.read' },
      { path: '/points/ledger', title: 'points.nav.ledger', perm: 'points.read' },
      { path: '/points/rules', title: 'points.nav.rules', perm: 'points.read' },
    ],
  },
  { path: '/wishes', title: 'nav.wishes', icon: Present, soon: true },
  { path: '/volunteers', title: 'nav.volunteers', icon: Promotion, soon: true },
  { path: '/activities', title: 'nav.activities', icon: Flag, soon: true },
  { path: '/cobuild', title: 'nav.cobuild', icon: Connection, soon: true },
  { path: '/council', title: 'nav.council', icon: ChatDotRound, soon: true },
  {
    key: 'basic',
    title: 'nav.basic',
    icon: OfficeBuilding,
    children: [
      { path: '/territory', title: 'nav.territory', perm: 'node.read' },
      { path: '/households', title: 'nav.households', perm: 'household.read' },
      { path: '/residents', title: 'nav.residents', perm: 'resident.read' },
      { path: '/party/orgs', title: 'nav.partyOrgs', perm: 'party.read' },
      { path: '/party/members', title: 'nav.partyMembers', perm: 'party.read' },
      { path: '/orgs', title: 'nav.orgs', perm: 'org.read' },
    ],
  },
  { path: '/command', title: 'nav.command', icon: DataBoard, soon: true },
  {
    key: 'system',
    title: 'nav.system',
    icon: Setting,
    children: [
      { path: '/system/users', title: 'nav.users', perm: 'user.manage' },
      { path: '/system/calendar', title: 'nav.calendar', soon: true, perm: 'user.manage' },
      { path: '/system/audit', title: 'nav.audit', perm: 'audit.read' },
    ],
  },
];

/** The navigation trimmed to what `can` allows; empty groups disappear. */
export function visibleNav(can) {
  const out = [];
  for (const item of NAV) {
    if (item.children) {
      const children = item.children.filter((c) => can(c.perm));
      if (children.length) out.push({ ...item, children });
    } else if (can(item.perm)) {
      out.push(item);
    }
  }
  return out;
}

/** Flat list of leaf entries, for quick links and route meta. */
export function navLeaves() {
  return NAV.flatMap((i) => (i.children ? i.children.map((c) => ({ ...c, group: i.title })) : [i]));
}
