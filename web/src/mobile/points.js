// The resident's own community, for the points pages (rules, notice). The
// session says nothing about it, but 我所在社区的网格和楼栋 (me/places) does:
// a grid's parent is the community.
import { reactive } from 'vue';
import { get } from '@/shared/api.js';
import { session } from '@/shared/session.js';

export const mine = reactive({ community: null, userId: null, loading: null });

export function myCommunity() {
  const uid = session.user?.id ?? null;
  if (mine.userId === uid && mine.community) return Promise.resolve(mine.community);
  if (mine.loading) return mine.loading;
  mine.loading = get('me/places')
    .then((places) => {
      const list = Array.isArray(places) ? places : places?.items || [];
      const grid = list.find((p) => p.kind === 'grid');
      const community = list.find((p) => p.kind === 'community');
      mine.community = community?.id || grid?.parent_id || null;
      mine.userId = uid;
      return mine.community;
    })
    .catch(() => null)
    .finally(() => {
      mine.loading = null;
    });
  return mine.loading;
}

// Balance: shared so the header of every points page shows the same number.
export const wallet = reactive({ balance: null, history: [], expiring: null, honours: [], loaded: false });

export async function loadBalance() {
  const res = await get('points/balance');
  wallet.balance = res.balance;
  wallet.history = res.history || [];
  wallet.expiring = res.expiring || null;
  wallet.honours = res.honours || [];
  wallet.loaded = true;
  return res;
}
