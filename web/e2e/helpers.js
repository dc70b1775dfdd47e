// Shared plumbing for the browser tests: accounts written by `linli demo
// --accounts-json`, direct API calls with the same credentials, and a
// Debian-chromium page that records console errors and CSP violations.
import crypto from 'node:crypto';
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

// ---- TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30 s) for accounts with a second factor ----

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of text.replace(/=+$/, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export const totpStep = (ms = Date.now()) => Math.floor(ms / 30000);

/** The 6-digit code of a base32 secret for a 30-second step. */
export function totpCode(secret, step = totpStep()) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const off = mac[19] & 0xf;
  const bin = ((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
  return String(bin % 1000000).padStart(6, '0');
}

// A code is accepted once per account: remember the steps this process used,
// and wait for a fresh step when the window's codes are spent.
const usedStep = new Map();
const tokens = new Map();

/** Codes to try now for `acc`, oldest first, skipping steps already used here. */
function candidateSteps(acc) {
  const now = totpStep();
  return [now, now + 1].filter((s) => s > (usedStep.get(acc.username) ?? 0));
}

async function waitNextStep() {
  const next = (totpStep() + 1) * 30000 + 300;
  await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
}

export function noteTotpUsed(acc, step) {
  usedStep.set(acc.username, Math.max(step, usedStep.get(acc.username) ?? 0));
}

async function postJson(p, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${BASE}/api/v1/${p}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}

/**
 * Signs in over the API and returns the token. Accounts with `totp_secret`
 * (the demo admin) do the second step with a computed code; their token is
 * reused within this process while it stays valid.
 */
export async function apiLogin(acc) {
  if (acc.totp_secret && tokens.has(acc.username)) {
    const me = await apiGet(tokens.get(acc.username), 'auth/me');
    if (me.status === 200 && me.body.stage === 'full') return tokens.get(acc.username);
  }
  for (let round = 0; round < 3; round++) {
    const r = await postJson('auth/login', { username: acc.username, password: acc.password });
    if (r.status !== 200) throw new Error(`API login ${acc.username}: ${r.status} ${JSON.stringify(r.body)}`);
    if (r.body.stage !== 'totp') return r.body.token;
    if (!acc.totp_secret) throw new Error(`${acc.username} needs a TOTP code but has no secret`);
    for (const step of candidateSteps(acc)) {
      const v = await postJson('auth/login/totp', { code: totpCode(acc.totp_secret, step) }, r.body.token);
      if (v.status === 200) {
        noteTotpUsed(acc, step);
        tokens.set(acc.username, v.body.token);
        return v.body.token;
      }
      noteTotpUsed(acc, step); // used elsewhere (another test file)
    }
    await waitNextStep();
  }
  throw new Error(`two-step login failed for ${acc.username}`);
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
  // CSP violations (the policy has no 'unsafe-inline') fail every browser test.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
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

/**
 * Signs in through the console's login page and waits to leave it. With a
 * `totp_secret` the second step (the code) is typed too.
 */
export async function consoleLogin(page, acc) {
  await page.goto(`${BASE}/login`);
  await page.getByPlaceholder('请输入用户名').fill(acc.username);
  await page.getByPlaceholder('请输入密码').fill(acc.password);
  await page.locator('[data-test=login-submit]').click();
  if (acc.totp_secret) {
    for (let round = 0; round < 3; round++) {
      for (const step of candidateSteps(acc)) {
        await inputOf(page, 'login-code').fill(totpCode(acc.totp_secret, step));
        await page.locator('[data-test=login-code-submit]').click();
        noteTotpUsed(acc, step);
        const left = await page
          .waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 4000 })
          .then(() => true)
          .catch(() => false);
        if (left) return;
      }
      await waitNextStep();
    }
    throw new Error(`two-step console login failed for ${acc.username}`);
  }
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
