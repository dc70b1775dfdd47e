// PIPL rights in the console: a community worker exports everything held
// about a resident (a JSON download, audited), records their move-out and
// erases their personal data; an administrator verifies the audit hash chain.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { BASE, skip, account, apiLogin, apiGet, itemsOf, launch, openPage, shot, consoleLogin } from './helpers.js';

describe('personal data rights', () => {
  let browser;
  before(async () => {
    if (!skip) browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('(a) export, move out and erase a resident from their page', { skip }, async () => {
    const staff = account('community_staff');
    const token = await apiLogin(staff);
    const list = itemsOf((await apiGet(token, 'residents?limit=20')).body);
    const person = list[list.length - 1];
    assert.ok(person, 'the community has residents');

    const { context, page, problems } = await openPage(browser);
    await consoleLogin(page, staff);
    await page.goto(`${BASE}/residents/${person.id}`);
    const detail = page.locator('[data-test=resident-detail]');
    await detail.getByRole('heading', { name: person.name }).waitFor();

    await detail.locator('[data-test=pipl-export]').click();
    const box = page.locator('.el-message-box');
    await box.getByText('导出会记入审计日志').waitFor();
    const download = page.waitForEvent('download');
    await box.getByRole('button', { name: '确定' }).click();
    const file = await (await download).path();
    const data = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(data.person.id, person.id);
    assert.equal(data.person.name, person.name);
    assert.ok(Array.isArray(data.cases_reported) && Array.isArray(data.points_ledger));

    // Erasing is offered only once the resident has moved out.
    assert.equal(await detail.locator('[data-test=pipl-anonymise]').count(), 0);
    await detail.locator('[data-test=pipl-move-out]').click();
    await box.getByText('迁出辖区').waitFor();
    await box.getByRole('button', { name: '确定' }).click();
    await detail.locator('[data-test=pipl-anonymise]').click();
    await box.getByText('统计数据保留').waitFor();
    await box.getByRole('button', { name: '确定' }).click();
    await detail.getByRole('heading', { name: `已注销居民#${person.id}` }).waitFor();
    await shot(page, 'console-resident-erased');
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('(b) an administrator verifies the audit hash chain', { skip }, async () => {
    const admin = account('admin');
    const { context, page, problems } = await openPage(browser);
    await consoleLogin(page, admin);
    await page.goto(`${BASE}/system/audit`);
    await page.locator('[data-test=audit-verify]').click();
    await page.getByText('审计日志完整').waitFor();
    await shot(page, 'console-audit-verified');
    assert.deepEqual(problems, []);
    await context.close();
  });
});
