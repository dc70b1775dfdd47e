// Which community the points pages work on. Points belong to a community
// (rules, monthly review, notice); a worker's scope node sits in one, so it
// is found from the node's path. Street and district staff (and admins)
// pick among the communities below them; the choice is remembered.
import { reactive } from 'vue';
import { get, listOf } from '@/shared/api.js';
import { session } from '@/shared/session.js';
import { communityIdOfPath } from '@/shared/points.js';

const KEY = 'linli.pointsCommunity';

export const pointsCommunity = reactive({
  list: [], // [{id, name}]
  id: null,
  loaded: false,
  loading: null,
  userId: null, // whose list this is: another sign-in starts over
});

function remembered() {
  try {
    return Number(localStorage.getItem(KEY)) || null;
  } catch {
    return null;
  }
}

export function setCommunity(id) {
  pointsCommunity.id = id;
  try {
    localStorage.setItem(KEY, String(id));
  } catch {
    /* ignore */
  }
}

export function communityName(id = pointsCommunity.id) {
  return pointsCommunity.list.find((c) => c.id === id)?.name || '';
}

// Communities under a district or street node (two levels at most).
async function communitiesBelow(nodeId, depth = 0) {
  const { items } = listOf(await get('nodes', { parent: nodeId, limit: 200 }));
  const out = [];
  for (const n of items) {
    if (n.kind === 'community') out.push({ id: n.id, name: n.name });
    else if (depth < 2 && (n.kind === 'street' || n.kind === 'district')) out.push(...(await communitiesBelow(n.id, depth + 1)));
  }
  return out;
}

async function discover() {
  const found = new Map();
  const nodeIds = [...new Set((session.user?.roles || []).map((r) => r.node_id).filter(Boolean))];
  for (const id of nodeIds) {
    let node;
    try {
      node = await get(`nodes/${id}`);
    } catch {
      continue;
    }
    const cid = communityIdOfPath(node.path);
    if (cid) {
      const crumb = (node.breadcrumbs || []).find((b) => b.id === cid);
      const name = crumb?.name || (node.id === cid ? node.name : '');
      if (!found.has(cid) || (!found.get(cid).name && name)) found.set(cid, { id: cid, name });
    } else {
      try {
        for (const c of await communitiesBelow(node.id)) found.set(c.id, c);
      } catch {
        /* nothing below we may see */
      }
    }
  }
  const list = [...found.values()];
  // A building or unit head may not read the community node itself; an
  // organisation serving the community (its station) names it as well.
  if (list.some((c) => !c.name)) {
    try {
      const { items } = listOf(await get('orgs', { limit: 200 }));
      for (const c of list.filter((x) => !x.name)) {
        const hit = items.flatMap((o) => o.nodes || []).find((n) => n.id === c.id);
        if (hit) c.name = hit.name;
      }
    } catch {
      /* the label says 本社区 then */
    }
  }
  return list;
}

/** Loads the user's communities once; resolves with the chosen id (or null). */
export function loadCommunities(force = false) {
  if (pointsCommunity.userId !== (session.user?.id ?? null)) force = true;
  if (pointsCommunity.loaded && !force) return Promise.resolve(pointsCommunity.id);
  if (pointsCommunity.loading && !force) return pointsCommunity.loading;
  pointsCommunity.loading = discover()
    .then((list) => {
      pointsCommunity.list = list;
      pointsCommunity.userId = session.user?.id ?? null;
      const keep = [pointsCommunity.id, remembered()].find((id) => id && list.some((c) => c.id === id));
      pointsCommunity.id = keep || list[0]?.id || null;
      pointsCommunity.loaded = true;
      return pointsCommunity.id;
    })
    .finally(() => {
      pointsCommunity.loading = null;
    });
  return pointsCommunity.loading;
}
