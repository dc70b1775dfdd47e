// Resident pages on a phone-sized screen.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, skip, account, apiLogin, apiGet, launch, openPage, shot, mobileLogin } from './helpers.js';

describe('resident mobile pages', () => {
  let browser;
  before(async () => {
    if (!skip) browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('(c) a resident sees their household with masked phones and can switch to large text', { skip }, async () => {
    const resident = account('resident');
    const token = await apiLogin(resident);
    const household = (await apiGet(token, 'me/household')).body;
    const members = household.residents || household.members || [];
    assert.ok(members.length > 0);

    const { context, page, problems } = await openPage(browser, { mobile: true });
    await mobileLogin(page, resident);
    await page.locator('[data-test=tabbar]').waitFor();
    await shot(page, 'mobile-home');

    await page.locator('[data-test=tab-mine]').click();
    await page.waitForURL(`${BASE}/m/mine`);
    const list = page.locator('[data-test=household-members] .van-cell');
    await list.first().waitFor();
    assert.equal(await list.count(), members.length);
    for (const m of members) await page.getByText(m.name, { exact: true }).first().waitFor();
    const phones = await page.$$eval('[data-test=member-phone]', (els) => els.map((e) => e.textContent.trim()));
    const withPhone = phones.filter((p) => /\d/.test(p));
    assert.ok(withPhone.length > 0, 'some member has a phone');
    for (const p of withPhone) assert.match(p, /^\d{3}\*{4}\d{4}$/, `masked: ${p}`);
    await shot(page, 'mobile-mine');

    const rootSize = () => page.evaluate(() => getComputedStyle(document.documentElement).fontSize);
    assert.equal(await rootSize(), '16px');
    await page.locator('[data-test=large-text]').click();
    await page.waitForFunction(() => getComputedStyle(document.documentElement).fontSize === '20px');
    assert.equal(await page.evaluate(() => localStorage.getItem('linli.largeText')), '1');
    await shot(page, 'mobile-mine-large');
    await page.reload();
    await page.locator('[data-test=household-members] .van-cell').first().waitFor();
    assert.equal(await rootSize(), '20px', 'large text survives a reload');
    await page.locator('[data-test=large-text]').click();
    await page.waitForFunction(() => getComputedStyle(document.documentElement).fontSize === '16px');

    assert.deepEqual(problems, []);
    await context.close();
  });

  it('staff signing in on /m/ are offered the console', { skip }, async () => {
    const { context, page, problems } = await openPage(browser, { mobile: true });
    await mobileLogin(page, account('community_staff'));
    const link = page.locator('[data-test=to-console]');
    await link.waitFor();
    await shot(page, 'mobile-staff');
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('a wrong password shows the Chinese error on the phone', { skip }, async () => {
    const acc = account('unit_head', 'building_head');
    const { context, page } = await openPage(browser, { mobile: true });
    await page.goto(`${BASE}/m/login`);
    await page.getByPlaceholder('请输入用户名').fill(acc.username);
    await page.getByPlaceholder('请输入密码').fill(`${acc.password}-wrong`);
    await page.getByRole('button', { name: '登录' }).click();
    const err = page.locator('[data-test=login-error]');
    await err.waitFor();
    assert.match(await err.textContent(), /用户名或密码/);
    await apiLogin(acc); // resets the failure count
    await context.close();
  });
});
