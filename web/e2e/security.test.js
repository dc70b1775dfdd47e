// 我的账号: a staff member ends a session on another device and sets up
// two-step verification, then signs in with password + code; the admin's
// login is two-step; walking the main pages raises no CSP violation (the
// policy has no 'unsafe-inline').
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE,
  skip,
  account,
  apiLogin,
  apiGet,
  apiSend,
  launch,
  openPage,
  shot,
  consoleLogin,
  mobileLogin,
  inputOf,
  totpCode,
  totpStep,
  noteTotpUsed,
} from './helpers.js';

describe('account security', { skip }, () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('staff ends another session, enrols TOTP, then signs in with a code', async () => {
    const adminToken = await apiLogin(account('admin'));
    const staff = account('community_staff');
    const username = `e2e_totp_${Date.now() % 1000000}`;
    const created = await apiSend(adminToken, 'POST', 'users', {
      username,
      display_name: '两步验证测试',
      password: 'Linli@2026',
      roles: [{ role: 'community_staff', node_id: staff.node }],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const acc = { username, password: 'Linli@2026' };
    const otherDevice = await apiLogin(acc);

    const { context, page, problems } = await openPage(browser);
    await consoleLogin(page, acc);
    await page.locator('.el-dropdown').last().click();
    await page.locator('[data-test=menu-account]').click();
    await page.waitForURL((u) => u.pathname === '/account');
    const rows = page.locator('[data-test=sessions-table] .el-table__body tr');
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    await page.locator('[data-test=current-session]').waitFor();
    await shot(page, 'account-sessions');
    await page.locator('[data-test=revoke-session]').first().click();
    await page.locator('.el-message-box').getByRole('button', { name: '确定' }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-test=sessions-table] .el-table__body tr').length === 1);
    assert.equal((await apiGet(otherDevice, 'auth/me')).status, 401, 'the other device is signed out');

    await page.locator('[data-test=totp-start]').click();
    const secret = (await page.locator('[data-test=totp-secret]').textContent()).trim();
    assert.match(await page.locator('[data-test=totp-uri]').textContent(), /^otpauth:\/\/totp\/linli:e2e_totp_/);
    assert.match(await page.locator('[data-test=totp-qr]').getAttribute('src'), /^data:image\/png;base64,/);
    await shot(page, 'account-totp-qr');
    const step = totpStep();
    await inputOf(page, 'totp-code').fill(totpCode(secret, step));
    await page.locator('[data-test=totp-confirm]').click();
    await page.locator('[data-test=totp-on]').waitFor();
    acc.totp_secret = secret;
    noteTotpUsed(acc, step);

    // A fresh browser: the password alone now leads to the code step.
    await context.clearCookies();
    await page.goto(`${BASE}/login`);
    await page.getByPlaceholder('请输入用户名').fill(acc.username);
    await page.getByPlaceholder('请输入密码').fill(acc.password);
    await page.locator('[data-test=login-submit]').click();
    await page.locator('[data-test=login-code-form]').waitFor();
    await shot(page, 'login-code-step');
    await inputOf(page, 'login-code').fill('000000' === totpCode(secret) ? '111111' : '000000');
    await page.locator('[data-test=login-code-submit]').click();
    await page.locator('[data-test=login-error]').waitFor();
    await context.clearCookies();
    await consoleLogin(page, acc);
    const me = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).json());
    assert.equal(me.username, username);
    assert.equal(me.stage, 'full');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('main console and mobile pages raise no CSP violation', async () => {
    const { context, page, problems } = await openPage(browser);
    await consoleLogin(page, account('admin'));
    for (const p of [
      '/',
      '/territory',
      '/households',
      '/residents',
      '/party/orgs',
      '/orgs',
      '/cases/queue',
      '/cases/search',
      '/cases/new',
      '/cases/kpis',
      '/cases/settings',
      '/points/notice',
      '/points/shop',
      '/points/rankings',
      '/system/users',
      '/system/audit',
      '/account',
    ]) {
      await page.goto(`${BASE}${p}`);
      await page.waitForLoadState('networkidle');
    }
    await shot(page, 'csp-walk-console');

    // 用户与角色: the admin signs a user out everywhere.
    const adminToken = await apiLogin(account('admin'));
    const username = `e2e_kick_${Date.now() % 1000000}`;
    const created = await apiSend(adminToken, 'POST', 'users', {
      username,
      display_name: '强制下线测试',
      password: 'Linli@2026',
      roles: [{ role: 'community_staff', node_id: account('community_staff').node }],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const victim = await apiLogin({ username, password: 'Linli@2026' });
    await page.goto(`${BASE}/system/users`);
    await page.locator('.toolbar input').first().fill(username);
    const row = page.locator('[data-test=users-table] .el-table__body tr', { hasText: username });
    await row.first().waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-test=users-table] .el-table__body tr').length === 1);
    await row.first().locator('[data-test=revoke-user-sessions]').click();
    await page.locator('.el-message-box').getByRole('button', { name: '确定' }).click();
    await page.locator('.el-message', { hasText: '已结束 1 个会话' }).waitFor();
    assert.equal((await apiGet(victim, 'auth/me')).status, 401);
    await context.close();
    const m = await openPage(browser, { mobile: true });
    await mobileLogin(m.page, account('resident'));
    for (const p of ['/m/', '/m/snap', '/m/cases', '/m/points', '/m/points/shop', '/m/mine']) {
      await m.page.goto(`${BASE}${p}`);
      await m.page.waitForLoadState('networkidle');
    }
    await shot(m.page, 'csp-walk-mobile');
    await m.context.close();
    assert.deepEqual(problems, []);
    assert.deepEqual(m.problems, []);
  });
});
