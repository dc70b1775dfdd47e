// 积分制 end to end: 一事一记 by a building head → 一月一评 and 一月一示 by the
// community's points group (with the printed A4 notice) → the resident's
// balance on the phone and a merchant code → the merchant verifies it once.
//
// Re-runnable: a month can be published only once per community, so the test
// takes the latest month before this one that is not published yet (the
// previous month on a fresh demo), and goes on with the existing snapshot if
// publishing answers 409 because someone got there first.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  BASE,
  SHOTS,
  skip,
  account,
  apiLogin,
  apiGet,
  apiSend,
  itemsOf,
  launch,
  openPage,
  shot,
  consoleLogin,
  mobileLogin,
  inputOf,
} from './helpers.js';

const TZ = 'Asia/Shanghai';
const shanghaiDay = (d = new Date()) => new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
function monthBefore(month, n = 1) {
  const [y, m] = month.split('-').map(Number);
  const idx = y * 12 + (m - 1) - n;
  return `${Math.floor(idx / 12)}-${String((idx % 12) + 1).padStart(2, '0')}`;
}
// "2026-10-15" → "2026年10月15日", as the pages show dates.
const zhDate = (ymd) => {
  const [y, m, d] = ymd.split('-').map(Number);
  return `${y}年${m}月${d}日`;
};
const zhMonth = (ym) => `${ym.slice(0, 4)}年${Number(ym.slice(5))}月`;

/** The <textarea> behind an Element Plus textarea carrying data-test=NAME. */
const textareaOf = (scope, name) => scope.locator(`[data-test=${name}]`).locator('xpath=descendant-or-self::textarea').first();

/** Picks an option of an Element Plus select carrying data-test=NAME. */
async function pickOption(page, name, text, typed) {
  const select = page.locator(`[data-test=${name}]`);
  await select.click();
  if (typed) await inputOf(page, name).fill(typed);
  const option = page.locator('.el-select-dropdown:visible .el-select-dropdown__item', { hasText: text }).first();
  await option.waitFor();
  await option.click();
}

describe('points (积分制)', () => {
  let browser;
  before(async () => {
    if (!skip) browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('(g) a head records three deeds; the points group approves two, rejects one, publishes and prints; the resident redeems at a merchant', { skip }, async () => {
    const head = account('building_head');
    const staff = account('community_staff');
    const resident = account('resident');
    const merchant = account('merchant');
    const [headTok, staffTok, resTok, merTok] = await Promise.all([head, staff, resident, merchant].map(apiLogin));

    // ── Who and where ──
    const me = (await apiGet(resTok, 'auth/me')).body;
    const residentId = me.resident_id;
    assert.ok(residentId, 'the resident account is linked to a resident');
    const inScope = await apiGet(headTok, `residents/${residentId}`);
    assert.equal(inScope.status, 200, "the resident lives in the building head's building");
    const person = inScope.body;
    const headNode = (await apiGet(headTok, `nodes/${head.node}`)).body;
    const community = Number(headNode.path.split('/').filter(Boolean)[2]);
    assert.ok(community, 'the building sits in a community');

    // ── The month: the latest one before this that is not published yet ──
    const today = shanghaiDay();
    let month = monthBefore(today.slice(0, 7));
    for (let i = 0; i < 36 && (await apiGet(staffTok, `points/months/${community}/${month}`)).status === 200; i++) month = monthBefore(month);
    const day = `${month}-15`;
    // Pending leftovers of an interrupted run would stop the month from being published.
    const leftovers = (await apiGet(staffTok, `points/deeds?community=${community}&month=${month}&state=pending`)).body;
    if (leftovers.length) {
      const r = await apiSend(staffTok, 'POST', 'points/review', { items: leftovers.map((d) => ({ deed_id: d.id, decision: 'reject', reason: '测试前清理' })) });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }

    // Three earning rules the head may record; the first two will be approved.
    // (Records already in that month count against each rule's monthly cap.)
    const rules = (await apiGet(headTok, `points/rules?community=${community}`)).body;
    const already = (await apiGet(staffTok, `points/deeds?resident=${residentId}&month=${month}`)).body.filter((d) => d.state !== 'rejected');
    const used = (rule) => already.filter((d) => d.rule === rule.name).reduce((s, d) => s + (d.final_points ?? d.points), 0);
    const mine = rules.filter((r) => r.kind === 'positive' && r.recorders.includes('building_head') && !r.automatic && (r.monthly_cap ?? 999) - used(r) >= r.points);
    assert.ok(mine.length >= 3, 'three rules a building head may record');
    const [r1, r2, r3] = mine;
    const gain = r1.points + r2.points;
    const before = (await apiGet(resTok, 'points/balance')).body.balance;

    // ── 一事一记: the building head in the console ──
    const h = await openPage(browser);
    await consoleLogin(h.page, head);
    await h.page.locator('.el-sub-menu__title', { hasText: '积分管理' }).waitFor();
    await h.page.locator('.el-menu-item', { hasText: '积分记录' }).click();
    await h.page.waitForURL(`${BASE}/points/record`);
    await pickOption(h.page, 'deed-resident', person.address || person.name, person.name);
    const date = inputOf(h.page, 'deed-date');
    await date.fill(zhDate(day));
    await date.press('Enter');
    await h.page.getByText(`记入 ${zhMonth(month)}`).waitFor();
    const notes = ['帮助3楼独居老人搬运煤气罐', '参加社区清洁家园活动', '调解邻里停车纠纷'];
    for (const [i, rule] of [r1, r2, r3].entries()) {
      await pickOption(h.page, 'deed-rule', new RegExp(`^\\s*${rule.name}`));
      const card = h.page.locator('[data-test=rule-card]');
      await card.locator('[data-test=rule-points]', { hasText: `+${rule.points}` }).waitFor();
      if (rule.monthly_cap != null) await card.locator('[data-test=rule-cap]', { hasText: `${rule.monthly_cap}分` }).waitFor();
      await card.locator('[data-test=rule-evidence]').waitFor();
      await textareaOf(h.page, 'deed-note').fill(notes[i]);
      if (i === 0) await shot(h.page, 'points-record-form');
      await h.page.locator('[data-test=deed-save-next]').click();
      await h.page.locator('[data-test=deed-last]', { hasText: rule.name }).waitFor();
      // 保存并继续 keeps the resident and the date for the next deed.
      assert.equal(await inputOf(h.page, 'deed-date').inputValue(), zhDate(day));
    }
    const listed = h.page.locator('[data-test=deed-table] .el-table__body tr', { hasText: person.name }).filter({ hasText: '待评议' });
    await h.page.waitForFunction(
      (name) => [...document.querySelectorAll('[data-test=deed-table] .el-table__body tr')].filter((tr) => tr.textContent.includes(name) && tr.textContent.includes('待评议')).length >= 3,
      person.name,
    );
    assert.ok((await listed.count()) >= 3);
    await shot(h.page, 'points-record-list');

    const recorded = (await apiGet(staffTok, `points/deeds?resident=${residentId}&month=${month}&state=pending`)).body;
    const byRule = (rule) => recorded.find((d) => d.rule === rule.name);
    const [d1, d2, d3] = [r1, r2, r3].map(byRule);
    assert.ok(d1 && d2 && d3, 'three pending deeds');

    // ── 一月一评: community staff approve two, reject one ──
    const c = await openPage(browser);
    await consoleLogin(c.page, staff);
    await c.page.locator('.el-menu-item', { hasText: '月度评议' }).click();
    await c.page.waitForURL(`${BASE}/points/review`);
    await c.page.goto(`${BASE}/points/review?month=${month}`);
    const row = (rule) => c.page.locator('[data-test=review-table] .el-table__body tr', { hasText: person.name }).filter({ hasText: rule.name }).first();
    await row(r3).waitFor();
    for (const rule of [r1, r2]) await row(rule).locator('.el-checkbox').click();
    await c.page.locator('[data-test=review-bulk]', { hasText: '已选 2 条' }).waitFor();
    await shot(c.page, 'points-review-selected');
    await c.page.locator('[data-test=bulk-approve]').click();
    await c.page.locator('.el-message-box').getByRole('button', { name: '确定' }).click();
    await c.page.locator('.el-message', { hasText: '通过 2 条' }).waitFor();
    await row(r3).locator('[data-test=row-reject]').click();
    const dlg = c.page.locator('.el-dialog[data-test=review-dialog]').filter({ visible: true });
    await dlg.waitFor();
    await dlg.locator('[data-test=review-submit]').click();
    await dlg.getByText('调整或不通过需要填写理由').waitFor(); // asked for before anything is sent
    await textareaOf(dlg, 'review-reason').fill('经核实，当天未发生纠纷调解');
    await shot(c.page, 'points-review-reject');
    await dlg.locator('[data-test=review-submit]').click();
    await dlg.waitFor({ state: 'hidden' });
    await c.page.locator('[data-test=reviewed-table] .el-table__body tr', { hasText: r3.name }).filter({ hasText: '未通过' }).first().waitFor();
    const reviewed = (await apiGet(staffTok, `points/deeds?resident=${residentId}&month=${month}`)).body;
    const state = (d) => reviewed.find((x) => x.id === d.id)?.state;
    assert.deepEqual([state(d1), state(d2), state(d3)], ['approved', 'approved', 'rejected']);

    // ── 一月一示: publish and print ──
    await c.page.goto(`${BASE}/points/notice?month=${month}`);
    const publish = c.page.locator('[data-test=notice-publish]');
    const table = c.page.locator('[data-test=notice-table]');
    await c.page.locator('[data-test=notice-publish], [data-test=notice-table]').first().waitFor();
    if (await publish.isVisible()) {
      // Pending deeds of the month (other people's) would keep the button disabled: none are left.
      await shot(c.page, 'points-notice-unpublished');
      await publish.click();
      await c.page.locator('.el-message-box').getByRole('button', { name: '确定' }).click();
    }
    await table.waitFor();
    const snap = (await apiGet(staffTok, `points/months/${community}/${month}`)).body;
    assert.ok([d1.id, d2.id].every((id) => snap.entries.some((e) => e.deed_id === id)), 'the approved deeds are in the snapshot');
    assert.ok(!snap.entries.some((e) => e.deed_id === d3.id), 'the rejected one is not');
    assert.match(await c.page.locator('[data-test=notice-chat]').textContent(), /积分公示/);
    await shot(c.page, 'points-notice');

    const [print] = await Promise.all([c.context.waitForEvent('page'), c.page.locator('[data-test=notice-print]').click()]);
    await print.waitForLoadState();
    const sheet = print.locator('[data-test=print-sheet]');
    await sheet.waitFor();
    await print.locator('[data-test=print-qr]').waitFor();
    await print.waitForFunction(() => document.querySelector('[data-test=print-qr]')?.naturalWidth > 0);
    assert.equal(await print.locator('[data-test=print-table] tbody tr').count(), Math.max(snap.entries.length, 1));
    assert.match(await print.locator('[data-test=print-community]').textContent(), new RegExp(snap.community));
    const deadline = zhDate(shanghaiDay(new Date(snap.objection_until)));
    assert.match(await print.locator('[data-test=print-objection]').textContent(), new RegExp(deadline));
    assert.match(await print.locator('[data-test=print-period]').textContent(), new RegExp(deadline));
    await shot(print, 'points-print-screen');
    await print.emulateMedia({ media: 'print' });
    assert.equal(await print.locator('.bar').isVisible(), false, 'the toolbar is not printed');
    await print.screenshot({ path: path.join(SHOTS, 'points-print-media.png'), fullPage: true });
    const pdf = await print.pdf({ path: path.join(SHOTS, 'points-notice.pdf'), preferCSSPageSize: true, printBackground: true });
    assert.ok(pdf.length > 10000, 'a real PDF came out');
    const mediaBox = /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/.exec(pdf.toString('latin1'));
    assert.ok(mediaBox, 'the PDF has a page size');
    assert.ok(Math.abs(Number(mediaBox[1]) - 595.92) < 2 && Math.abs(Number(mediaBox[2]) - 842.88) < 2, `A4 portrait: ${mediaBox[1]}×${mediaBox[2]}`);
    await print.close();

    // ── The resident on the phone: balance, then a merchant code ──
    const after1 = (await apiGet(resTok, 'points/balance')).body.balance;
    assert.equal(after1, before + gain, 'the two approved deeds were credited');
    let service = itemsOf((await apiGet(merTok, 'points/services')).body).find((s) => s.merchant_id === merchant.org && s.points_price <= after1);
    if (!service) {
      const made = await apiSend(merTok, 'POST', 'points/services', { merchant_id: merchant.org, name: '普通洗车一次', points_price: Math.min(5, after1) });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      service = itemsOf((await apiGet(merTok, 'points/services')).body).find((s) => s.id === made.body.id);
    }

    const r = await openPage(browser, { mobile: true });
    await mobileLogin(r.page, resident);
    await r.page.locator('[data-test=tab-points]').click();
    await r.page.waitForURL(`${BASE}/m/points`);
    await r.page.locator('[data-test=points-balance]', { hasText: new RegExp(`^\\s*${after1}\\s*$`) }).waitFor();
    await r.page.locator('[data-test=history-row]', { hasText: r1.name }).first().waitFor();
    await shot(r.page, 'points-mobile-balance');
    await r.page.locator('[data-test=go-merchants]').click();
    const svcRow = r.page.locator('[data-test=merchant-service]', { hasText: service.name }).first();
    await svcRow.waitFor();
    await svcRow.locator('[data-test=service-code]').click();
    const codeEl = r.page.locator('[data-test=redeem-code]');
    await codeEl.waitFor();
    const code = (await codeEl.textContent()).replace(/\s+/g, '');
    assert.match(code, /^\d{6}$/);
    await r.page.waitForFunction(() => document.querySelector('[data-test=redeem-qr]')?.naturalWidth > 0);
    await r.page.locator('[data-test=code-countdown]').waitFor();
    await shot(r.page, 'points-mobile-code');

    // ── The merchant verifies once; a second time is refused ──
    const m = await openPage(browser);
    await consoleLogin(m.page, merchant);
    await m.page.waitForURL(`${BASE}/merchant`);
    const input = m.page.locator('[data-test=verify-code]');
    await input.fill(code);
    await shot(m.page, 'points-merchant-typed');
    await m.page.locator('[data-test=verify-submit]').click();
    const ok = m.page.locator('[data-test=verify-ok]');
    await ok.waitFor();
    assert.equal((await ok.locator('[data-test=verify-service]').textContent()).trim(), service.name);
    assert.match((await ok.locator('[data-test=verify-resident]').textContent()).trim(), /\*/, 'the resident is masked');
    await shot(m.page, 'points-merchant-verified');
    await input.fill(code);
    await m.page.locator('[data-test=verify-submit]').click();
    await m.page.locator('[data-test=verify-error-text]', { hasText: '已使用过' }).waitFor();
    await shot(m.page, 'points-merchant-used');

    const after2 = (await apiGet(resTok, 'points/balance')).body.balance;
    assert.equal(after2, after1 - service.points_price, 'the points moved on verification');

    // The second verification is refused on purpose (409 该兑换码已使用过); the browser logs that answer.
    const merchantProblems = m.problems.filter((p) => !/status of 409/.test(p));
    assert.equal(m.problems.length - merchantProblems.length, 1, 'one refused verification');
    assert.deepEqual({ head: h.problems, staff: c.problems, resident: r.problems, merchant: merchantProblems }, { head: [], staff: [], resident: [], merchant: [] });
    await Promise.all([h.context.close(), c.context.close(), r.context.close(), m.context.close()]);
  });

  it('(h) the points group sets expiry in the settings card; an honour shows on the resident page and on the phone', { skip }, async () => {
    const staff = account('community_staff');
    const resident = account('resident');
    const [staffTok, resTok] = await Promise.all([staff, resident].map(apiLogin));
    const residentId = (await apiGet(resTok, 'auth/me')).body.resident_id;
    const community = staff.node;

    const c = await openPage(browser);
    await consoleLogin(c.page, staff);
    await c.page.goto(`${BASE}/points/rules`);
    const card = c.page.locator('[data-test=points-settings]');
    await card.waitFor();
    const months = inputOf(c.page, 'setting-expiry_months');
    await months.fill('24');
    await c.page.locator('[data-test=settings-save]').click();
    await c.page.locator('.el-message--success', { hasText: '积分设置已保存' }).waitFor();
    const saved = (await apiGet(staffTok, `points/settings?community=${community}`)).body;
    assert.equal(saved.expiry_months.value, 24);
    await shot(c.page, 'points-settings');

    const year = Number(shanghaiDay().slice(0, 4));
    const h = await apiSend(staffTok, 'POST', 'points/honours', { community_id: community, year, kind: 'ten_star_household', household_id: (await apiGet(staffTok, `residents/${residentId}`)).body.household_id });
    assert.equal(h.status, 201, JSON.stringify(h.body));
    await c.page.goto(`${BASE}/residents/${residentId}`);
    await c.page.locator('[data-test=resident-honour]', { hasText: `${year} 十星文明户` }).first().waitFor();

    const r = await openPage(browser, { mobile: true });
    await mobileLogin(r.page, resident);
    await r.page.locator('[data-test=tab-points]').click();
    await r.page.locator('[data-test=my-honours]', { hasText: '十星文明户' }).waitFor();
    await shot(r.page, 'points-mobile-honours');

    // 积分台账: the community's movements, newest first, with an export link.
    await c.page.goto(`${BASE}/points/ledger`);
    await c.page.locator('[data-test=ledger-table] .el-table__row').first().waitFor();
    assert.match(await c.page.locator('[data-test=ledger-xlsx]').getAttribute('href'), /points\/ledger\/export\?.*format=xlsx/);
    await shot(c.page, 'points-ledger');

    const off = await apiSend(staffTok, 'PUT', `points/settings?community=${community}`, { expiry_months: 0 });
    assert.equal(off.status, 200);
    assert.deepEqual({ staff: c.problems, resident: r.problems }, { staff: [], resident: [] });
    await Promise.all([c.context.close(), r.context.close()]);
  });
});
