import { createRouter, createWebHistory } from 'vue-router';
import { session, loadSession, clearSession } from '@/shared/session.js';
import { onUnauthorized } from '@/shared/api.js';
import TabsLayout from './views/TabsLayout.vue';
import LoginView from './views/LoginView.vue';
import HomeTab from './views/HomeTab.vue';
import MineTab from './views/MineTab.vue';

const SoonTab = () => import('./views/SoonTab.vue');

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
      { path: 'points', name: 'points', component: SoonTab, props: { icon: 'gold-coin-o', text: 'mobile.pointsDesc', title: 'mobile.tabs.points' } },
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
