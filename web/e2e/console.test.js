// Staff console, as a community worker and a grid worker use it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE,
  skip,
  account,
  apiLogin,
  apiGet,
  itemsOf,
  launch,
  openPage,
  shot,
  consoleLogin,
  inputOf,
} from './helpers.js';

describe('staff console', () => {
  let browser;
  before(async () => {
    if (!skip) browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('(a) community staff finds a resident, reveals the phone, and sees the reveal in the audit log', { skip }, async () => {
    const staff = account('community_staff');
    const token = await apiLogin(staff);
    const first = itemsOf((await apiGet(token, 'residents?limit=1')).body)[0];
    assert.ok(first, 'the community has residents');

    const { context, page, problems } = await openPage(browser);
    await consoleLogin(page, staff);
    await page.getByText('您好').first().waitFor();
    await shot(page, 'console-workbench');

    await page.locator('.el-menu-item', { hasText: /^\s*居民\s*$/ }).click();
    await page.waitForURL(`${BASE}/residents`);
    await page.locator('[data-test=resident-table] .el-table__body tr').first().waitFor();
    await inputOf(page, 'resident-search').fill(first.name);
    const row = page.locator('[data-test=resident-table] .el-table__body tr', { hasText: first.name }).first();
    await row.waitFor();
    await page.waitForFunction(
      (name) => [...document.querySelectorAll('[data-test=resident-table] .el-table__body tr')].every((tr) => tr.textContent.includes(name)),
      first.name,
    );
    await shot(page, 'console-residents-search');
    await row.click();

    const detail = page.locator('[data-test=resident-detail]');
    await detail.getByRole('heading', { name: first.name }).waitFor();
    const residentId = (await detail.locator('[data-test=resident-id]').textContent()).trim();
    const masked = (await detail.locator('[data-test=protected-phone]').textContent()).trim();
    assert.match(masked, /\*{4}/, 'the phone is masked before reveal');

    await detail.locator('[data-test=reveal-phone]').click();
    const box = page.locator('.el-message-box');
    await box.getByText('查看将被记录在审计日志中').waitFor();
    await shot(page, 'console-reveal-confirm');
    await box.getByRole('button', { name: '确定' }).click();
    const revealed = detail.locator('[data-test=revealed-phone]');
    await revealed.waitFor();
    const phone = (await revealed.textContent()).trim();
    assert.match(phone, /^1[3-9]\d{9}$/, `revealed phone is 11 digits: ${phone}`);
    await shot(page, 'console-resident-revealed');

    await page.keyboard.press('Escape');
    await page.locator('.el-sub-menu__title', { hasText: '系统设置' }).click();
    await page.locator('.el-menu-item', { hasText: '审计日志' }).click();
    await page.waitForURL(`${BASE}/system/audit`);
    const entry = page.locator('[data-test=audit-table] .el-table__body tr', { hasText: `resident#${residentId}` }).filter({ hasText: 'resident.reveal' });
    await entry.first().waitFor();
    assert.match(await entry.first().textContent(), /查看敏感信息/);
    await shot(page, 'console-audit');

    assert.deepEqual(problems, []);
    await context.close();
  });

  it('(b) a grid worker sees only their grid, and another grid\'s resident is "not found"', { skip }, async () => {
    const grid = account('grid_worker');
    const staff = account('community_staff');
    const gridToken = await apiLogin(grid);
    const staffToken = await apiLogin(staff);

    const roots = itemsOf((await apiGet(gridToken, 'nodes')).body);
    assert.equal(roots.length, 1, 'a grid worker has one scope root');
    const scoped = itemsOf((await apiGet(gridToken, 'residents?limit=50')).body);
    assert.ok(scoped.length > 0);

    // A resident of a sibling grid, fetched with the community worker's wider scope.
    const gridNode = (await apiGet(staffToken, `nodes/${roots[0].id}`)).body;
    const siblings = itemsOf((await apiGet(staffToken, `nodes?parent=${gridNode.parent_id}`)).body).filter((n) => n.id !== gridNode.id);
    assert.ok(siblings.length > 0, 'the community has another grid');
    const foreign = itemsOf((await apiGet(staffToken, `residents?node=${siblings[0].id}&limit=1`)).body)[0];
    assert.ok(foreign, 'the other grid has residents');
    assert.equal((await apiGet(gridToken, `residents/${foreign.id}`)).status, 404);

    const { context, page, problems } = await openPage(browser);
    await consoleLogin(page, grid);
    await page.goto(`${BASE}/residents`);
    const rows = page.locator('[data-test=resident-table] .el-table__body tr');
    await rows.first().waitFor();
    await page.waitForFunction((n) => document.querySelectorAll('[data-test=resident-table] .el-table__body tr').length === n, scoped.length);
    const names = await page.$$eval('[data-test=resident-table] .el-table__body tr', (trs) =>
      trs.map((tr) => tr.querySelector('td .name')?.textContent.trim()),
    );
    assert.deepEqual(names, scoped.map((r) => r.name), 'the table shows exactly the API\'s scoped answer');
    const addresses = await page.$$eval('[data-test=resident-table] .el-table__body tr', (trs) => trs.map((tr) => tr.textContent));
    for (const a of addresses) assert.ok(!a.includes(foreign.address) || foreign.address === '', 'no row from the other grid');

    // The scope filter offers the grid and nothing above it.
    await page.locator('[data-test=scope-tree]').first().click();
    const top = page.locator('.scope-tree-popper .el-tree > .el-tree-node');
    await top.first().waitFor();
    assert.equal(await top.count(), 1);
    assert.match(await top.first().locator('.el-tree-node__content').first().textContent(), new RegExp(roots[0].name));
    await shot(page, 'console-grid-scope');
    await page.keyboard.press('Escape');

    await page.goto(`${BASE}/residents/${foreign.id}`);
    await page.getByText('记录不存在或无权查看').first().waitFor();
    await shot(page, 'console-grid-foreign-resident');

    assert.deepEqual(problems, []);
    await context.close();
  });

  it('(d) a wrong password shows the Chinese error on the login page', { skip }, async () => {
    // An account no other test signs in with, so one failure disturbs nothing.
    const acc = account('first_secretary', 'building_head', 'unit_head');
    const { context, page, problems } = await openPage(browser);
    await page.goto(`${BASE}/login`);
    await page.getByText('账号登录').waitFor();
    await page.getByPlaceholder('请输入用户名').fill(acc.username);
    await page.getByPlaceholder('请输入密码').fill(`${acc.password}-wrong`);
    await page.locator('[data-test=login-submit]').click();
    const err = page.locator('[data-test=login-error]');
    await err.waitFor();
    const text = (await err.textContent()).trim();
    assert.match(text, /[\u4e00-\u9fff]/, `Chinese message: ${text}`);
    assert.match(text, /用户名或密码/);
    assert.match(page.url(), /\/login/);
    await shot(page, 'console-login-wrong-password');
    // A right password clears the failure count, so reruns never lock the account.
    await apiLogin(acc);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('(e) each account lands on its own home: department portal, merchant, resident → /m/', { skip }, async () => {
    const { context, page, problems } = await openPage(browser);
    await consoleLogin(page, account('department_staff'));
    await page.locator('[data-test=department-portal]').waitFor();
    assert.equal(await page.locator('.el-menu').count(), 0, 'no console menu for a department');
    await page.goto(`${BASE}/residents`);
    await page.waitForURL(`${BASE}/department`);
    await shot(page, 'console-department');
    await context.close();

    const m = await openPage(browser);
    await consoleLogin(m.page, account('merchant'));
    await m.page.locator('[data-test=merchant-portal]').waitFor();
    await m.context.close();

    const r = await openPage(browser);
    await consoleLogin(r.page, account('resident'));
    await r.page.waitForURL(`${BASE}/m/`);
    await r.context.close();
    assert.deepEqual([...problems, ...m.problems, ...r.problems], []);
  });
});
