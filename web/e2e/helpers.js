// Shared plumbing for the browser tests: accounts written by `linli demo
// --accounts-json`, direct API calls with the same credentials, and a
// Debian-chromium page that records console errors and CSP violations.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const BASE = (process.env.LINLI_URL || '').replace(/\/+$/, '');
const ACCOUNTS = process.env.LINLI_ACCOUNTS || '';
export const SHOTS = process.env.LINLI_SHOTS || path.join(os.tmpdir(), 'linli-e2e');

/** Reason to skip (a string) when no server is configured, else false. */
export const skip = !BASE || !ACCOUNTS ? 'set LINLI_URL and LINLI_ACCOUNTS to run the browser tests' : false;

let cached = null;
export function accounts() {
  cached ??= JSON.parse(fs.readFileSync(ACCOUNTS, 'utf8'));
  return cached;
}

/** The first demo account holding `role` (roles listed in preference order). */
export function account(...roles) {
  for (const role of roles) {
    const a = accounts().find((x) => x.role === role);
    if (a) return a;
  }
  throw new Error(`no demo account with role ${roles.join(' / ')}`);
}

export async function apiLogin(acc) {
  const res = await fetch(`${BASE}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: acc.username, password: acc.password }),
  });
  if (!res.ok) throw new Error(`API login ${acc.username}: ${res.status} ${await res.text()}`);
  return (await res.json()).token;
}

/** GET /api/v1/PATH with a bearer token → {status, body}. */
export async function apiGet(token, p) {
  const res = await fetch(`${BASE}/api/v1/${p}`, { headers: { Authorization: `Bearer ${token}` } });
  const text = await res.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

/** POST/PUT/PATCH /api/v1/PATH with a JSON body and a bearer token → {status, body}. */
export async function apiSend(token, method, p, data) {
  const res = await fetch(`${BASE}/api/v1/${p}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: data === undefined ? undefined : JSON.stringify(data),
  });
  const text = await res.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

export const itemsOf = (body) => (Array.isArray(body) ? body : body?.items || []);

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A fresh context (own cookies) and page. `problems` collects page errors,
 * console errors and CSP violations; tests assert it stays empty.
 */
export async function openPage(browser, { mobile = false } = {}) {
  const context = await browser.newContext(
    mobile
      ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'zh-CN' }
      : { viewport: { width: 1440, height: 900 }, locale: 'zh-CN' },
  );
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    // Expected API refusals (401 on the first /auth/me, 404 for a foreign id) are not faults.
    if (/status of (401|404)/.test(text)) return;
    problems.push(`console: ${text}`);
  });
  return { context, page, problems };
}

export async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await page.waitForTimeout(400); // let Element Plus / Vant transitions settle
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** Signs in through the console's login page and waits to leave it. */
export async function consoleLogin(page, acc) {
  await page.goto(`${BASE}/login`);
  await page.getByPlaceholder('请输入用户名').fill(acc.username);
  await page.getByPlaceholder('请输入密码').fill(acc.password);
  await page.locator('[data-test=login-submit]').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

export async function mobileLogin(page, acc) {
  await page.goto(`${BASE}/m/login`);
  await page.getByPlaceholder('请输入用户名').fill(acc.username);
  await page.getByPlaceholder('请输入密码').fill(acc.password);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/m/login'));
}

/** The native <input> behind an Element Plus input carrying data-test=NAME. */
export function inputOf(page, name) {
  return page.locator(`[data-test=${name}]`).locator('xpath=descendant-or-self::input').first();
}
