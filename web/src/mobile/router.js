import { createRouter, createWebHistory } from 'vue-router';
import { session, loadSession, clearSession } from '@/shared/session.js';
import { onUnauthorized } from '@/shared/api.js';
import TabsLayout from './views/TabsLayout.vue';
import LoginView from './views/LoginView.vue';
import HomeTab from './views/HomeTab.vue';
import MineTab from './views/MineTab.vue';

const routes = [
  { path: '/login', name: 'login', component: LoginView, meta: { public: true } },
  { path: '/staff', name: 'staff', component: () => import('./views/StaffView.vue') },
  {
    path: '/',
    component: TabsLayout,
    children: [
      { path: '', name: 'home', component: HomeTab },
      { path: 'snap', name: 'snap', component: () => import('./views/SnapTab.vue') },
      { path: 'snap/done/:id(\\d+)', name: 'snap-done', component: () => import('./views/SnapDoneView.vue'), props: true, meta: { tab: 'snap' } },
      { path: 'cases', name: 'cases', component: () => import('./views/MyCasesTab.vue') },
      { path: 'cases/:id(\\d+)', name: 'my-case', component: () => import('./views/MyCaseView.vue'), props: true, meta: { tab: 'cases' } },
      { path: 'points', name: 'points', component: () => import('./views/points/PointsTab.vue') },
      { path: 'points/shop', name: 'points-shop', component: () => import('./views/points/PointsShopPage.vue'), meta: { tab: 'points' } },
      { path: 'points/merchants', name: 'points-merchants', component: () => import('./views/points/PointsMerchantsPage.vue'), meta: { tab: 'points' } },
      { path: 'points/redemptions', name: 'points-redemptions', component: () => import('./views/points/PointsRedemptionsPage.vue'), meta: { tab: 'points' } },
      { path: 'points/rules', name: 'points-rules', component: () => import('./views/points/PointsRulesPage.vue'), meta: { tab: 'points' } },
      {
        path: 'points/notice/:community(\\d+)/:month(\\d{4}-\\d{2})',
        name: 'points-notice',
        component: () => import('./views/points/PointsNoticePage.vue'),
        props: true,
        meta: { tab: 'points' },
      },
      { path: 'mine', name: 'mine', component: MineTab },
    ],
  },
  { path: '/:pathMatch(.*)*', redirect: '/' },
];

export const router = createRouter({ history: createWebHistory('/m/'), routes });

router.beforeEach(async (to) => {
  if (!session.loaded) {
    try {
      await loadSession();
    } catch {
      /* unreachable server: the login page explains on submit */
    }
  }
  const user = session.user;
  if (to.meta.public) return user && to.name === 'login' ? (user.home === 'mobile' ? '/' : '/staff') : true;
  if (!user) return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} };
  // Staff on the phone pages get a pointer to the console instead of empty tabs.
  if (user.home !== 'mobile' && to.name !== 'staff') return { name: 'staff' };
  return true;
});

onUnauthorized(() => {
  clearSession();
  if (!router.currentRoute.value.meta.public) router.replace({ name: 'login' });
});
