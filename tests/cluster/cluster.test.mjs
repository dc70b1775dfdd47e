// The cluster of docs/SCALING.md, tested from outside: nginx → two linli nodes →
// a PostgreSQL primary and a streaming replica, all started by
// deploy/local-cluster.sh (tests/cluster/run.sh does that and then runs this
// file). Real HTTP, real databases; no timing assertions beyond generous
// deadlines for things that must happen eventually.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const DIR = process.env.LINLI_CLUSTER_DIR;
const env = Object.fromEntries(
  readFileSync(`${DIR}/env`, 'utf8')
    .split('\n')
    .filter((l) => l.includes('='))
    .map((l) => {
      const i = l.indexOf('=');
      return [l.slice(0, i), l.slice(i + 1).replace(/^"|"$/g, '')];
    }),
);
const LB = env.LINLI_CLUSTER_URL; // nginx
const [NODE_A, NODE_B] = env.LINLI_CLUSTER_NODES.trim().split(/\s+/);
const PASSWORD = 'Linli@2026';
const stamp = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** psql against the primary or the replica as the superuser; returns trimmed output. */
function sql(url, query) {
  const u = new URL(url);
  return execFileSync(
    '/usr/lib/postgresql/15/bin/psql',
    ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-h', u.hostname, '-p', u.port, '-U', 'postgres',
      '-d', u.pathname.slice(1), '-c', query],
    { encoding: 'utf8' },
  ).trim();
}

async function login(base, username) {
  const r = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  assert.equal(r.status, 200, `login ${username} at ${base}`);
  return (await r.json()).token;
}

async function get(base, path, token) {
  const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: r.status, text, json };
}

async function post(base, path, token, body) {
  const r = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: r.status, json, text };
}

/** An open SSE stream; `next(pred, ms)` resolves with the first notice matching pred. */
async function openStream(base, token) {
  const ctl = new AbortController();
  const r = await fetch(`${base}/api/v1/notifications/stream`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: ctl.signal,
  });
  assert.equal(r.status, 200, 'the stream opens');
  const reader = r.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  const notices = [];
  let connected = false;
  const waiters = new Set();
  (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let end;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, end);
          buf = buf.slice(end + 2);
          if (frame.includes(': connected')) connected = true;
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (frame.includes('event: notification') && data) notices.push(JSON.parse(data.slice(6)));
          for (const w of waiters) w();
        }
      }
    } catch {}
  })();
  const until = async (check, ms, what) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const v = check();
      if (v) return v;
      await new Promise((res) => {
        const w = () => {
          waiters.delete(w);
          res();
        };
        waiters.add(w);
        setTimeout(w, 200);
      });
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  await until(() => connected, 10000, 'the stream to say connected');
  return {
    notices,
    next: (pred, ms) => until(() => notices.find(pred), ms, 'a notification'),
    close: () => ctl.abort(),
  };
}

let staff; // community1's token (sessions live in the database: valid on every node)
let caseBody; // a valid intake body at a household in grid1's grid

describe('linli cluster (nginx → two nodes → primary + replica)', () => {
  before(async () => {
    staff = await login(NODE_A, 'community1');
    const grid = await login(NODE_A, 'grid1');
    const households = await get(NODE_A, '/api/v1/households?limit=1', grid);
    assert.equal(households.status, 200, households.text);
    const cats = await get(NODE_A, '/api/v1/case-categories', staff);
    assert.equal(cats.status, 200, cats.text);
    const leaf = JSON.stringify(cats.json).match(/"id":(\d+),[^{}]*"code":"repair\.light"/) ??
      JSON.stringify(cats.json).match(/"code":"repair\.light"[^{}]*"id":(\d+)/);
    assert.ok(leaf, 'the demo city has the repair.light category');
    caseBody = (title) => ({
      title,
      description: '集群测试：小区门口路灯不亮，晚上出行不便',
      category_id: Number(leaf[1]),
      household_id: households.json.items[0].id,
      channel: 'hotline',
    });
  });

  it('a case written through node A is read through node B', async () => {
    const title = `集群读写-${stamp()}`;
    const made = await post(NODE_A, '/api/v1/cases', staff, caseBody(title));
    assert.equal(made.status, 201, made.text);
    const seen = await get(NODE_B, `/api/v1/cases/${made.json.id}`, staff);
    assert.equal(seen.status, 200, seen.text);
    assert.equal(seen.json.title ?? seen.json.case?.title, title);
  });

  it('a console on node B receives the live notification of a write through node A', async () => {
    // Whoever the routing table assigns the case to is among these users.
    const users = ['grid1', 'building1', 'community1', 'street1', 'branch1', 'unit1'];
    const streams = [];
    for (const u of users) streams.push(await openStream(NODE_B, await login(NODE_B, u)));
    // And the same consoles through nginx (unbuffered SSE), wherever it sends them.
    const proxied = [];
    for (const u of users) proxied.push(await openStream(LB, await login(LB, u)));
    try {
      const made = await post(NODE_A, '/api/v1/cases', staff, caseBody(`集群通知-${stamp()}`));
      assert.equal(made.status, 201, made.text);
      const id = made.json.id;
      const got = await Promise.any(
        streams.map((s) => s.next((n) => n.case_id === id, 20000)),
      ).catch(() => null);
      assert.ok(got, `a console on node B heard about case ${id} written through node A`);
      assert.equal(got.kind, 'assignment');
      const viaNginx = await Promise.any(
        proxied.map((s) => s.next((n) => n.case_id === id, 20000)),
      ).catch(() => null);
      assert.ok(viaNginx, 'a console streaming through nginx heard about it too');
      // Nothing is pushed twice (once from memory, once from NOTIFY).
      await sleep(500);
      for (const s of streams)
        assert.ok(s.notices.filter((n) => n.id === got.id).length <= 1, 'each notice arrives once');
    } finally {
      for (const s of [...streams, ...proxied]) s.close();
    }
  });

  it('KPIs and exports read from the replica and show the case once replication catches up', async () => {
    const kpi = async () => {
      const r = await get(LB, '/api/v1/cases/kpis', staff);
      assert.equal(r.status, 200, r.text);
      return r.json.counts?.received ?? r.json.received;
    };
    const exported = async (title) => {
      const r = await get(LB, `/api/v1/cases/export?format=csv&q=${encodeURIComponent(title)}`, staff);
      assert.equal(r.status, 200, r.text);
      return r.text.includes(title);
    };
    const before = await kpi();
    // Hold the replica still: what the nodes then answer can only come from it.
    sql(env.LINLI_CLUSTER_REPLICA, 'SELECT pg_wal_replay_pause()');
    let title;
    try {
      title = `集群副本-${stamp()}`;
      const made = await post(LB, '/api/v1/cases', staff, caseBody(title));
      assert.equal(made.status, 201, made.text);
      assert.equal(
        sql(env.LINLI_CLUSTER_PRIMARY, `SELECT count(*) FROM cases WHERE id = ${made.json.id}`),
        '1',
      );
      assert.equal(await kpi(), before, 'KPIs come from the (paused) replica');
      assert.equal(await exported(title), false, 'the export comes from the (paused) replica');
    } finally {
      sql(env.LINLI_CLUSTER_REPLICA, 'SELECT pg_wal_replay_resume()');
    }
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline && !(await exported(title))) await sleep(100);
    assert.ok(await exported(title), 'the export shows the case once the replica caught up');
    assert.equal(await kpi(), before + 1, 'the KPI counts it');
  });

  it('kill -9 of one node under write load through nginx loses no answered write', async () => {
    const run = stamp();
    const answered = []; // ids of cases answered 201
    let failed = 0;
    let afterKill = 0;
    let killed = false;
    let stop = false;
    const writer = async (w) => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await post(LB, '/api/v1/cases', staff, caseBody(`集群压测-${run}-${w}-${i}`));
          if (r.status === 201) {
            answered.push(r.json.id);
            if (killed) afterKill++;
          } else failed++;
        } catch {
          failed++;
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    await sleep(1500);
    const pid = Number(readFileSync(`${DIR}/node1.pid`, 'utf8'));
    process.kill(pid, 'SIGKILL');
    killed = true;
    await sleep(3000);
    stop = true;
    await Promise.all(writers);
    console.log(`# ${answered.length} writes answered 201 (${afterKill} after the kill), ${failed} refused`);
    assert.ok(answered.length > 20, 'the load got going');
    assert.ok(afterKill > 10, 'nginx kept serving writes after the node died');
    // Every answered id is on the primary…
    const found = sql(
      env.LINLI_CLUSTER_PRIMARY,
      `SELECT count(*) FROM cases WHERE id IN (${answered.join(',')})`,
    );
    assert.equal(Number(found), answered.length, 'every write answered 201 is stored');
    // …and no POST was replayed on the other node (each title at most once).
    const dup = sql(
      env.LINLI_CLUSTER_PRIMARY,
      `SELECT count(*) FROM (SELECT title FROM cases WHERE title LIKE '集群压测-${run}-%'
         GROUP BY title HAVING count(*) > 1) d`,
    );
    assert.equal(dup, '0', 'no write was replayed');
    // Reads keep working through nginx with one node gone.
    for (let i = 0; i < 5; i++) {
      const r = await get(LB, '/api/v1/cases?limit=5', staff);
      assert.equal(r.status, 200, r.text);
    }
    // The killed node comes back and serves what was written while it was down.
    execFileSync(new URL('../../deploy/local-cluster.sh', import.meta.url).pathname,
      ['restart-node', '1'], { stdio: 'inherit' });
    const last = answered[answered.length - 1];
    const back = await get(NODE_A, `/api/v1/cases/${last}`, staff);
    assert.equal(back.status, 200, back.text);
  });
});
