// The import wizard end to end with the shipped template: check, confirm, result.
// It writes two residents (re-runs find them unchanged), so it runs on demo data only.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { BASE, skip, account, launch, openPage, shot, consoleLogin } from './helpers.js';

const TEMPLATE = fileURLToPath(new URL('../public/templates/residents.csv', import.meta.url));

describe('resident import wizard', () => {
  let browser;
  before(async () => {
    if (!skip) browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('(f) checks the template file, then imports it', { skip }, async () => {
    const { context, page, problems } = await openPage(browser);
    await consoleLogin(page, account('community_staff'));
    await page.goto(`${BASE}/residents/import`);
    const wizard = page.locator('[data-test=import-wizard]');
    await wizard.getByRole('button', { name: '下一步' }).click();
    await page.locator('[data-test=import-file]').setInputFiles(TEMPLATE);
    await wizard.getByText('residents.csv').waitFor();
    await page.locator('[data-test=import-check]').click();
    await wizard.getByText('数据检查通过，可以导入').waitFor();
    await shot(page, 'console-import-checked');
    await page.locator('[data-test=import-confirm]').click();
    await wizard.getByText('导入完成').waitFor();
    await shot(page, 'console-import-done');
    assert.match(await wizard.textContent(), /共处理 2 行数据/);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
