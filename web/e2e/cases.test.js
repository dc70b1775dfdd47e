// 诉求办理 end to end: a resident's 随手拍 through the tiered loop back to the
// resident's rating, and 社区吹哨、部门报到 with a department that never reports.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE,
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

// A 1×1 PNG, small enough to live in the test.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const photo = (name) => ({ name, mimeType: 'image/png', buffer: PNG });
const stamp = () => `${Date.now().toString(36).slice(-5)}`;

/** Waits until the case detail shows `state` (its Chinese name) in the header chip. */
async function waitState(page, name) {
  await page.locator('.header [data-test=case-state]', { hasText: name }).waitFor();
}

/** Opens an action's dialog from the case detail and returns the dialog. */
async function openAction(page, action) {
  await page.locator(`[data-test=act-${action}]`).click();
  const dialog = page.locator('.el-dialog[data-test=action-dialog]').filter({ visible: true });
  await dialog.waitFor();
  return dialog;
}

async function submitAction(page, dialog) {
  await dialog.locator('[data-test=action-submit]').click();
  await dialog.waitFor({ state: 'hidden' });
}

describe('cases (诉求办理)', () => {
  let browser;
  before(async () => {
    if (!skip) browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('(a) a resident reports with a photo; community accepts; the compound resolves; community verifies; the resident rates', { skip }, async () => {
    const resident = account('resident');
    const staff = account('community_staff');
    const branch = account('branch_secretary');
    const title = `楼道堆满纸箱 测试${stamp()}`;

    // ── The resident's 随手拍 on the phone ──
    const r = await openPage(browser, { mobile: true });
    await mobileLogin(r.page, resident);
    await r.page.locator('[data-test=tab-snap]').click();
    await r.page.locator('[data-test=snap-page]').waitFor();
    await r.page.locator('[data-test=snap-photos] input[type=file]').setInputFiles(photo('hallway.png'));
    await r.page.waitForFunction(
      () =>
        document.querySelectorAll('[data-test=snap-photos] .van-uploader__preview').length === 1 &&
        !document.querySelector('[data-test=snap-photos] .van-uploader__mask'),
    );
    await r.page.locator('[data-test=snap-category]').click();
    await r.page.locator('.van-cascader__option', { hasText: '环境卫生' }).click();
    await r.page.locator('.van-cascader__option', { hasText: '楼道堆物' }).click();
    await r.page.waitForFunction(() => document.querySelector('[data-test=snap-category] input')?.value.includes('楼道堆物'));
    await r.page.locator('[data-test=snap-description] textarea').fill('1单元楼道里堆满了纸箱和旧家具，老人上下楼不方便。');
    await r.page.locator('[data-test=snap-title] input').fill(title);
    await shot(r.page, 'cases-mobile-snap');
    await r.page.locator('[data-test=snap-submit]').click();
    await r.page.locator('[data-test=snap-done]').waitFor();
    const code = (await r.page.locator('[data-test=snap-done-code]').textContent()).trim();
    assert.match(code, /^C\d{8}-\d+$/);
    const id = Number(/\/snap\/done\/(\d+)/.exec(r.page.url())[1]);
    await shot(r.page, 'cases-mobile-snap-done');

    const staffToken = await apiLogin(staff);
    const created = (await apiGet(staffToken, `cases/${id}`)).body;
    assert.equal(created.state, 'submitted');
    assert.equal(created.channel, 'mobile');
    assert.equal(created.photos.length, 1, 'the photo arrived with the case');

    // ── Community staff: queue, search, accept ──
    const c = await openPage(browser);
    await consoleLogin(c.page, staff);
    await c.page.locator('.el-menu-item', { hasText: '我的待办' }).click();
    await c.page.waitForURL(`${BASE}/cases/queue`);
    const queueRow = c.page.locator('[data-test=queue-table] .el-table__body tr', { hasText: code });
    await queueRow.waitFor();
    assert.match(await queueRow.textContent(), /待受理/);
    await shot(c.page, 'cases-console-queue');

    await c.page.locator('.el-menu-item', { hasText: '诉求查询' }).click();
    await c.page.waitForURL(`${BASE}/cases/search`);
    await inputOf(c.page, 'case-q').fill(code);
    const searchRow = c.page.locator('[data-test=search-table] .el-table__body tr', { hasText: code });
    await searchRow.waitFor();
    await c.page.waitForFunction(() => document.querySelectorAll('[data-test=search-table] .el-table__body tr').length === 1);
    await shot(c.page, 'cases-console-search');
    await searchRow.click();
    await c.page.waitForURL(`${BASE}/cases/${id}`);
    await c.page.locator('[data-test=case-code]', { hasText: code }).waitFor();
    await c.page.waitForFunction(() => {
      const img = document.querySelector('[data-test=case-photo] img');
      return img && img.complete && img.naturalWidth > 0;
    });
    const accept = await openAction(c.page, 'accept');
    await shot(c.page, 'cases-console-accept-dialog');
    await submitAction(c.page, accept);
    await waitState(c.page, '已派单');
    assert.equal((await c.page.locator('.header [data-test=case-level]').textContent()).trim(), '小区网格');
    const accepted = (await apiGet(staffToken, `cases/${id}`)).body;
    assert.equal(accepted.level, 'grid', 'it lands at the compound');
    await shot(c.page, 'cases-console-accepted');

    // ── The compound's branch secretary starts and resolves it ──
    const b = await openPage(browser);
    await consoleLogin(b.page, branch);
    await b.page.goto(`${BASE}/cases/${id}`);
    await b.page.locator('[data-test=case-code]', { hasText: code }).waitFor();
    await submitAction(b.page, await openAction(b.page, 'start'));
    await waitState(b.page, '办理中');
    const resolve = await openAction(b.page, 'resolve');
    await resolve.locator('[data-test=action-submit]').click();
    await resolve.getByText('请填写办理情况').waitFor(); // the note is asked for before anything is sent
    await resolve.locator('[data-test=action-note]').locator('xpath=descendant-or-self::textarea').fill('已联系物业，当天把楼道里的纸箱和旧家具清理干净。');
    await resolve.locator('[data-test=result-photos] input[type=file]').setInputFiles(photo('after.png'));
    await resolve.locator('[data-test=result-photos] .el-upload-list__item.is-success').waitFor();
    await shot(b.page, 'cases-console-resolve-dialog');
    await submitAction(b.page, resolve);
    await waitState(b.page, '已办结待核查');
    await b.page.locator('[data-test=result-photo]').first().waitFor();
    await shot(b.page, 'cases-console-resolved');

    // ── Community staff verifies ──
    await c.page.reload();
    await c.page.locator('[data-test=case-code]', { hasText: code }).waitFor();
    const verify = await openAction(c.page, 'verify');
    await submitAction(c.page, verify);
    await waitState(c.page, '待回访');
    const timeline = c.page.locator('[data-test=case-timeline] [data-test=timeline-item]');
    for (const step of ['提交诉求', '受理', '派单', '联系居民并开始办理', '办结', '核查通过']) {
      await timeline.filter({ hasText: step }).first().waitFor();
    }
    await shot(c.page, 'cases-console-verified');

    // ── The resident rates on the phone ──
    await r.page.locator('[data-test=tab-cases]').click();
    const mine = r.page.locator('[data-test=my-case]', { hasText: code });
    await mine.waitFor();
    await mine.click();
    const form = r.page.locator('[data-test=rate-form]');
    await form.waitFor();
    await form.locator('[data-test=rate-solved] button', { hasText: '已解决' }).click();
    await form.locator('[data-test=rate-rating] button', { hasText: /^\s*满意\s*$/ }).click();
    await form.locator('[data-test=rate-comment] textarea').fill('处理得很快，谢谢！');
    await shot(r.page, 'cases-mobile-rate');
    await form.locator('[data-test=rate-submit]').click();
    await r.page.locator('.head [data-test=m-case-state]', { hasText: '已结案' }).waitFor();
    await r.page.locator('[data-test=m-rated]').waitFor();
    assert.equal(await r.page.locator('[data-test=rate-form]').count(), 0);
    await shot(r.page, 'cases-mobile-closed');

    const closed = (await apiGet(staffToken, `cases/${id}`)).body;
    assert.equal(closed.state, 'closed');
    assert.equal(closed.rating, 'satisfied');
    assert.equal(closed.rating_solved, true);

    assert.deepEqual([...r.problems, ...c.problems, ...b.problems], []);
    await Promise.all([r.context.close(), c.context.close(), b.context.close()]);
  });

  it('(b) community whistles two departments; one reports and acts, the other never reports and is flagged 报而不到', { skip }, async () => {
    const admin = account('admin');
    const staff = account('community_staff');
    const deptAcc = account('department_staff');
    const adminToken = await apiLogin(admin);
    const staffToken = await apiLogin(staff);

    // Short limits so "not reported in time" shows at once; the old table comes back at the end.
    const settings = (await apiGet(adminToken, 'case-settings')).body;
    const original = settings.limits;
    assert.ok(Array.isArray(original) && original.length > 0, 'limits table');
    const short = original.map((row) => ({ ...row, report: { value: 0, unit: 'hours' }, act: { value: 0, unit: 'hours' } }));
    const put = await apiSend(adminToken, 'PUT', 'case-settings/limits', short);
    assert.ok(put.status < 300, `PUT limits: ${put.status} ${JSON.stringify(put.body)}`);

    const pages = [];
    try {
      const tree = (await apiGet(staffToken, 'case-categories')).body;
      const stall = tree.flatMap((t) => t.children || []).find((x) => x.code === 'urban.stall') || tree[0].children[0];
      const grid = account('grid_worker');
      const title = `小区北门占道经营 测试${stamp()}`;
      const made = await apiSend(staffToken, 'POST', 'cases', {
        title,
        description: '每天傍晚有流动摊贩在小区北门占道经营，油烟大，堵住消防通道。',
        category_id: stall.id,
        case_type: 'hard',
        urgency: 'normal',
        channel: 'hotline',
        node_id: grid.node,
        reporter_name: '张先生',
        reporter_phone: '13800138000',
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const id = made.body.id;
      const code = made.body.code;
      const acc = await apiSend(staffToken, 'POST', `cases/${id}/actions/accept`, {});
      assert.equal(acc.status, 200, JSON.stringify(acc.body));

      const departments = itemsOf((await apiGet(staffToken, 'orgs?kind=department')).body);
      const mineDept = departments.find((d) => d.id === deptAcc.org);
      const otherDept = departments.find((d) => d.id !== deptAcc.org);
      assert.ok(mineDept && otherDept, 'two departments');

      // ── Community staff blows the whistle in the console ──
      const c = await openPage(browser);
      pages.push(c);
      await consoleLogin(c.page, staff);
      await c.page.goto(`${BASE}/cases/${id}`);
      await c.page.locator('[data-test=case-code]', { hasText: code }).waitFor();
      await c.page.locator('[data-test=act-whistle]').click();
      const dialog = c.page.locator('.el-dialog[data-test=whistle-dialog]').filter({ visible: true });
      await dialog.waitFor();
      await dialog.locator('[data-test=whistle-departments] .el-checkbox', { hasText: mineDept.name }).click();
      await dialog.locator('[data-test=whistle-departments] .el-checkbox', { hasText: otherDept.name }).click();
      await dialog.locator('[data-test=whistle-lead] .el-radio', { hasText: mineDept.name }).click();
      await dialog.locator('[data-test=whistle-note]').locator('xpath=descendant-or-self::textarea').fill('请城管执法局牵头、住建局配合，明天上午到北门现场处置。');
      await shot(c.page, 'cases-console-whistle-dialog');
      await dialog.locator('[data-test=whistle-submit]').click();
      await dialog.waitFor({ state: 'hidden' });
      const rows = c.page.locator('[data-test=whistle-table] .el-table__body tr');
      await c.page.waitForFunction(() => document.querySelectorAll('[data-test=whistle-table] .el-table__body tr').length === 2);
      assert.equal(await rows.count(), 2);

      // ── The department reports, comes and acts in its portal ──
      const d = await openPage(browser);
      pages.push(d);
      await consoleLogin(d.page, deptAcc);
      await d.page.waitForURL(`${BASE}/department`);
      await d.page.locator('[data-test=dept-tabs] .el-radio-button', { hasText: '全部' }).click();
      const card = d.page.locator(`[data-test=dept-case-${id}]`);
      await card.waitFor();
      await shot(d.page, 'cases-department-portal');
      const step = async (name, note) => {
        await card.locator(`[data-test=dept-${name}]`).click();
        const dlg = d.page.locator('.el-dialog[data-test=dept-dialog]').filter({ visible: true });
        await dlg.waitFor();
        if (note) await dlg.locator('[data-test=dept-note]').locator('xpath=descendant-or-self::textarea').fill(note);
        await dlg.locator('[data-test=dept-confirm]').click();
        await dlg.waitFor({ state: 'hidden' });
      };
      await step('report', '收到，明早到现场。');
      await card.locator('[data-test=dept-whistle-state]', { hasText: '已报到' }).waitFor();
      await step('arrive');
      await card.locator('[data-test=dept-whistle-state]', { hasText: '已到场' }).waitFor();
      // 处置 needs a note: an empty one is refused in place.
      await card.locator('[data-test=dept-act]').click();
      const actDialog = d.page.locator('.el-dialog[data-test=dept-dialog]').filter({ visible: true });
      await actDialog.locator('[data-test=dept-confirm]').click();
      await actDialog.getByText('请填写处置情况').waitFor();
      await actDialog.locator('[data-test=dept-note]').locator('xpath=descendant-or-self::textarea').fill('已劝离摊贩，清理占道物品，北门通道恢复畅通。');
      await actDialog.locator('[data-test=dept-confirm]').click();
      await actDialog.waitFor({ state: 'hidden' });
      await card.locator('[data-test=dept-whistle-state]', { hasText: '已处置' }).waitFor();
      await shot(d.page, 'cases-department-acted');

      // ── Back in the console: the silent department is flagged 报而不到 ──
      await c.page.reload();
      await c.page.locator('[data-test=case-code]', { hasText: code }).waitFor();
      const otherRow = c.page.locator('[data-test=whistle-table] .el-table__body tr', { hasText: otherDept.name });
      const mineRow = c.page.locator('[data-test=whistle-table] .el-table__body tr', { hasText: mineDept.name });
      await otherRow.locator('[data-test=flag-report-overdue]', { hasText: '报而不到' }).waitFor();
      assert.match(await otherRow.textContent(), /待报到/);
      assert.match(await mineRow.textContent(), /已处置/);
      assert.match(await mineRow.textContent(), /牵头/);
      await c.page.locator('[data-test=whistle-section]').scrollIntoViewIfNeeded();
      await shot(c.page, 'cases-console-whistle-flags');

      const final = (await apiGet(staffToken, `cases/${id}`)).body;
      const other = final.whistles.find((w) => w.org_id === otherDept.id);
      const mineW = final.whistles.find((w) => w.org_id === mineDept.id);
      assert.equal(other.state, 'whistled');
      assert.ok(other.flags.includes('report_overdue'));
      assert.equal(mineW.state, 'acted');

      assert.deepEqual([...c.problems, ...d.problems], []);
    } finally {
      const back = await apiSend(adminToken, 'PUT', 'case-settings/limits', original);
      await Promise.all(pages.map((p) => p.context.close()));
      assert.ok(back.status < 300, `limits restored: ${back.status}`);
    }
  });
});
