import { createRouter, createWebHistory } from 'vue-router';
import { session, loadSession, clearSession, can } from '@/shared/session.js';
import { onUnauthorized } from '@/shared/api.js';
import { navLeaves } from './nav.js';
import { HOME_PAGES, homeOf } from './home.js';
import ConsoleLayout from './layouts/ConsoleLayout.vue';
import PortalLayout from './layouts/PortalLayout.vue';
import LoginView from './views/LoginView.vue';

// Pages load on demand: a grid worker who never opens 用户与角色 never downloads it.
const ComingSoonView = () => import('./views/ComingSoonView.vue');

const soonRoutes = navLeaves()
  .filter((n) => n.soon)
  .map((n) => ({
    path: n.path.slice(1),
    component: ComingSoonView,
    meta: { title: n.title, group: n.group, perm: n.perm },
  }));

const routes = [
  { path: '/login', name: 'login', component: LoginView, meta: { public: true, title: 'auth.login' } },
  {
    path: '/',
    component: ConsoleLayout,
    children: [
      { path: '', name: 'workbench', component: () => import('./views/WorkbenchView.vue'), meta: { title: 'nav.workbench' } },
      ...soonRoutes,
      { path: 'cases', redirect: '/cases/queue' },
      {
        path: 'cases/queue',
        name: 'case-queue',
        component: () => import('./views/CaseQueueView.vue'),
        meta: { title: 'nav.casesQueue', group: 'nav.cases', perm: 'case.read' },
      },
      {
        path: 'cases/search',
        name: 'case-search',
        component: () => import('./views/CaseSearchView.vue'),
        meta: { title: 'nav.casesSearch', group: 'nav.cases', perm: 'case.read' },
      },
      {
        path: 'cases/new',
        name: 'case-new',
        component: () => import('./views/CaseCreateView.vue'),
        meta: { title: 'nav.casesNew', group: 'nav.cases', perm: 'case.create' },
      },
      {
        path: 'cases/meeting',
        name: 'case-meeting',
        component: () => import('./views/CaseMeetingView.vue'),
        meta: { title: 'nav.casesMeeting', group: 'nav.cases', perm: 'case.create' },
      },
      {
        path: 'cases/settings',
        name: 'case-settings',
        component: () => import('./views/CaseSettingsView.vue'),
        meta: { title: 'nav.casesSettings', group: 'nav.cases', perm: 'case.settings' },
      },
      {
        path: 'cases/kpis',
        name: 'case-kpis',
        component: () => import('./views/CaseKpiView.vue'),
        meta: { title: 'nav.casesKpis', group: 'nav.cases', perm: 'case.kpi' },
      },
      {
        path: 'cases/:id(\\d+)',
        name: 'case',
        component: () => import('./views/CaseDetailView.vue'),
        props: true,
        meta: { title: 'nav.caseDetail', group: 'nav.cases', parent: { title: 'nav.casesQueue', path: '/cases/queue' }, perm: 'case.read' },
      },
      { path: 'points', redirect: () => (can('points.record') ? '/points/record' : '/points/notice') },
      {
        path: 'points/record',
        name: 'points-record',
        component: () => import('./views/points/PointsRecordView.vue'),
        meta: { title: 'points.nav.record', group: 'nav.points', perm: 'points.record' },
      },
      {
        path: 'points/review',
        name: 'points-review',
        component: () => import('./views/points/PointsReviewView.vue'),
        meta: { title: 'points.nav.review', group: 'nav.points', perm: 'points.review' },
      },
      {
        path: 'points/notice',
        name: 'points-notice',
        component: () => import('./views/points/PointsNoticeView.vue'),
        meta: { title: 'points.nav.notice', group: 'nav.points', perm: 'points.read' },
      },
      {
        path: 'points/objections',
        name: 'points-objections',
        component: () => import('./views/points/PointsObjectionsView.vue'),
        meta: { title: 'points.nav.objections', group: 'nav.points', perm: 'points.review' },
      },
      {
        path: 'points/shop',
        name: 'points-shop',
        component: () => import('./views/points/PointsShopView.vue'),
        meta: { title: 'points.nav.shop', group: 'nav.points', perm: 'points.read' },
      },
      {
        path: 'points/rankings',
        name: 'points-rankings',
        component: () => import('./views/points/PointsRankingsView.vue'),
        meta: { title: 'points.nav.rankings', group: 'nav.points', perm: 'points.read' },
      },
      {
        path: 'points/ledger',
        name: 'points-ledger',
        component: () => import('./views/points/PointsLedgerView.vue'),
        meta: { title: 'points.nav.ledger', group: 'nav.points', perm: 'points.read' },
      },
      {
        path: 'points/rules',
        name: 'points-rules',
        component: () => import('./views/points/PointsRulesView.vue'),
        meta: { title: 'points.nav.rules', group: 'nav.points', perm: 'points.read' },
      },
      {
        path: 'territory',
        name: 'territory',
        component: () => import('./views/TerritoryView.vue'),
        meta: { title: 'nav.territory', group: 'nav.basic', perm: 'node.read' },
      },
      {
        path: 'households',
        name: 'households',
        component: () => import('./views/HouseholdsView.vue'),
        meta: { title: 'nav.households', group: 'nav.basic', perm: 'household.read' },
      },
      {
        path: 'households/:id',
        name: 'household',
        component: () => import('./views/HouseholdDetailView.vue'),
        props: true,
        meta: { title: 'nav.householdDetail', group: 'nav.basic', parent: { title: 'nav.households', path: '/households' }, perm: 'household.read' },
      },
      {
        path: 'residents',
        name: 'residents',
        component: () => import('./views/ResidentsView.vue'),
        meta: { title: 'nav.residents', group: 'nav.basic', perm: 'resident.read' },
      },
      {
        path: 'residents/import',
        name: 'resident-import',
        component: () => import('./views/ResidentImportView.vue'),
        meta: { title: 'nav.residentImport', group: 'nav.basic', parent: { title: 'nav.residents', path: '/residents' }, perm: 'resident.import' },
      },
      {
        path: 'residents/:id',
        name: 'resident',
        component: () => import('./views/ResidentDetailView.vue'),
        props: true,
        meta: { title: 'nav.residentDetail', group: 'nav.basic', parent: { title: 'nav.residents', path: '/residents' }, perm: 'resident.read' },
      },
      {
        path: 'party/orgs',
        name: 'party-orgs',
        component: () => import('./views/PartyOrgsView.vue'),
        meta: { title: 'nav.partyOrgs', group: 'nav.basic', perm: 'party.read' },
      },
      {
        path: 'party/members',
        name: 'party-members',
        component: () => import('./views/PartyMembersView.vue'),
        meta: { title: 'nav.partyMembers', group: 'nav.basic', perm: 'party.read' },
      },
      {
        path: 'orgs',
        name: 'orgs',
        component: () => import('./views/OrgsView.vue'),
        meta: { title: 'nav.orgs', group: 'nav.basic', perm: 'org.read' },
      },
      {
        path: 'system/users',
        name: 'users',
        component: () => import('./views/UsersView.vue'),
        meta: { title: 'nav.users', group: 'nav.system', perm: 'user.manage' },
      },
      {
        path: 'system/audit',
        name: 'audit',
        component: () => import('./views/AuditView.vue'),
        meta: { title: 'nav.audit', group: 'nav.system', perm: 'audit.read' },
      },
      {
        path: 'account',
        name: 'account',
        component: () => import('./views/AccountView.vue'),
        meta: { title: 'security.nav.account' },
      },
      {
        path: 'forbidden',
        name: 'forbidden',
        component: () => import('./views/ForbiddenView.vue'),
        meta: { title: 'forbiddenPage.title' },
      },
      {
        path: ':pathMatch(.*)*',
        name: 'not-found',
        component: () => import('./views/NotFoundView.vue'),
        meta: { title: 'notFoundPage.title' },
      },
    ],
  },
  // An administrator without a second factor sees only this page until one is set up.
  {
    path: '/enrol-totp',
    name: 'enrol-totp',
    component: () => import('./views/TotpEnrolView.vue'),
    meta: { title: 'security.enrolTitle' },
  },
  // The printable notice: a bare A4 sheet, no menu around it.
  {
    path: '/points/notice/:community(\\d+)/:month(\\d{4}-\\d{2})/print',
    name: 'points-notice-print',
    component: () => import('./views/points/PointsNoticePrintView.vue'),
    props: true,
    meta: { title: 'points.print.title', perm: 'points.read' },
  },
  // Department and merchant accounts get one page each and no console menu.
  {
    path: '/department',
    component: PortalLayout,
    children: [{ path: '', name: 'department', component: () => import('./views/DepartmentPortalView.vue'), meta: { title: 'nav.department', home: 'department' } }],
  },
  {
    path: '/merchant',
    component: PortalLayout,
    children: [{ path: '', name: 'merchant', component: () => import('./views/MerchantPortalView.vue'), meta: { title: 'nav.merchant', home: 'merchant' } }],
  },
];

export const router = createRouter({
  history: createWebHistory('/'),
  routes,
  scrollBehavior: () => ({ top: 0 }),
});


router.beforeEach(async (to) => {
  let user = session.user;
  if (!session.loaded) {
    try {
      user = await loadSession();
    } catch {
      user = null; // server unreachable: the login page explains when they try
    }
  }
  if (user && user.stage === 'enrol') return to.name === 'enrol-totp' ? true : { name: 'enrol-totp' };
  if (to.name === 'enrol-totp') return user ? '/' : { name: 'login' };
  if (to.meta.public) {
    if (user && to.name === 'login') return homeOf(user, to.query.redirect);
    return true;
  }
  if (!user) return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} };
  if (user.home === 'mobile') {
    window.location.assign('/m/');
    return false;
  }
  const portal = HOME_PAGES[user.home];
  if (portal && !to.path.startsWith(portal)) return portal;
  if (!portal && to.meta.home) return '/';
  if (to.meta.perm && !can(to.meta.perm)) return { name: 'forbidden' };
  return true;
});

// Any 401 means the session is gone (expired, password changed elsewhere).
onUnauthorized(() => {
  const wasSignedIn = !!session.user;
  clearSession();
  const current = router.currentRoute.value;
  if (!current.meta.public) {
    router.replace({ name: 'login', query: { redirect: current.fullPath, expired: wasSignedIn ? '1' : undefined } });
  }
});
