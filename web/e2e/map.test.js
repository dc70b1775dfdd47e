// A resident reports a problem elsewhere by tapping the grid map on the phone.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { skip, account, apiLogin, apiGet, launch, openPage, shot, mobileLogin } from './helpers.js';

describe('reporting a place on the map', () => {
  let browser;
  before(async () => {
    if (!skip) browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('a tap on the map locates the case to that grid', { skip }, async () => {
    const resident = account('resident');
    const { page, problems } = await openPage(browser, { mobile: true });
    await mobileLogin(page, resident);
    await page.locator('[data-test=tab-snap]').click();
    await page.locator('[data-test=snap-page]').waitFor();
    await page.locator('[data-test=snap-category]').click();
    await page.locator('.van-cascader__option', { hasText: '设施维修' }).click();
    await page.locator('.van-cascader__option', { hasText: '路灯损坏' }).click();
    await page.waitForFunction(() => document.querySelector('[data-test=snap-category] input')?.value.includes('路灯'));
    await page.locator('[data-test=snap-description] textarea').fill('公园门口的路灯晚上不亮，走路看不清。');
    await page.locator('[data-test=snap-where-map]').click();
    const polygon = page.locator('[data-test=map-picker] polygon').nth(2);
    await polygon.waitFor();
    const gridName = (await polygon.locator('title').textContent()).trim();
    await polygon.click();
    await page.locator('[data-test=map-picked]').waitFor();
    assert.match(await page.locator('[data-test=map-picked]').textContent(), new RegExp(gridName));
    await shot(page, 'mobile-snap-map');
    await page.locator('[data-test=snap-submit]').click();
    await page.locator('[data-test=snap-done]').waitFor();
    const id = Number(/\/snap\/done\/(\d+)/.exec(page.url())[1]);
    const token = await apiLogin(resident);
    const c = (await apiGet(token, `cases/${id}`)).body;
    assert.ok(c.lat && c.lng, 'the point was sent');
    assert.ok(c.address.includes(gridName), `located to ${gridName}: ${c.address}`);
    assert.deepEqual(problems, []);
  });
});
