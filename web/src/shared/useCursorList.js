// Cursor paging as the API does it: the server hands out next_cursor, and we
// remember the cursors of pages already seen so "上一页" works too.
import { ref, shallowRef } from 'vue';
import { get, listOf } from './api.js';

/**
 * path: API path; params: () => query object (filters); opts.limit: page size;
 * opts.onError(err): how the app shows a failure.
 */
export function useCursorList(path, params, opts = {}) {
  const limit = opts.limit ?? 50;
  const items = shallowRef([]);
  const total = ref(null);
  const loading = ref(false);
  const error = ref(null);
  const page = ref(0);
  const nextCursor = ref(null);
  let cursors = [null];
  let seq = 0; // a slow answer for old filters must not overwrite a newer one

  async function load(index) {
    const mine = ++seq;
    loading.value = true;
    error.value = null;
    try {
      const p = typeof path === 'function' ? path() : path;
      const data = listOf(await get(p, { ...params(), cursor: cursors[index], limit }));
      if (mine !== seq) return;
      items.value = data.items;
      total.value = data.total;
      nextCursor.value = data.next_cursor;
      page.value = index;
    } catch (e) {
      if (mine !== seq) return;
      error.value = e;
      items.value = [];
      nextCursor.value = null;
      opts.onError?.(e);
    } finally {
      if (mine === seq) loading.value = false;
    }
  }

  const reload = () => {
    cursors = [null];
    return load(0);
  };
  const next = () => {
    if (!nextCursor.value) return;
    cursors[page.value + 1] = nextCursor.value;
    return load(page.value + 1);
  };
  const prev = () => (page.value > 0 ? load(page.value - 1) : undefined);
  const refresh = () => load(page.value);

  return { items, total, loading, error, page, nextCursor, reload, next, prev, refresh, limit };
}
