// The signed-in user, shared by every page of one app. Small enough that a
// reactive object serves; pinia would add weight for nothing here.
import { reactive } from 'vue';
import { api, get, post } from './api.js';

export const session = reactive({
  user: null,
  loaded: false,
});

/** Asks the server who we are (the cookie decides); null when not signed in. */
export async function loadSession(force = false) {
  if (session.loaded && !force) return session.user;
  try {
    session.user = await get('auth/me', null, { quiet401: true });
  } catch (e) {
    if (e.status !== 401) throw e;
    session.user = null;
  }
  session.loaded = true;
  return session.user;
}

export async function login(username, password) {
  const res = await post('auth/login', { username, password }, { quiet401: true });
  session.user = res.user;
  session.loaded = true;
  return res.user;
}

export async function logout() {
  try {
    await api('POST', 'auth/logout', { quiet401: true });
  } finally {
    clearSession();
  }
}

/** Forget the user locally, e.g. after a 401 or a password change. */
export function clearSession() {
  session.user = null;
  session.loaded = true;
}

export async function changePassword(oldPassword, newPassword) {
  await post('auth/password', { old_password: oldPassword, new_password: newPassword });
  // The server ends every session on a password change.
  clearSession();
}

/** True when the signed-in user holds the permission (any of them, for an array). */
export function can(perm) {
  if (!perm) return true;
  const perms = session.user?.permissions || [];
  if (Array.isArray(perm)) return perm.some((p) => perms.includes(p));
  return perms.includes(perm);
}

/**
 * "社区工作者 · 二社区" style label for one role; t translates the role code
 * (the server's role_name is Chinese only).
 */
export function roleLabel(r, t) {
  if (!r) return '';
  const key = `roles.${r.role}`;
  const translated = t ? t(key) : key;
  const name = translated !== key ? translated : r.role_name || r.role;
  const where = r.node_name || r.org_name;
  return where ? `${name} · ${where}` : name;
}
