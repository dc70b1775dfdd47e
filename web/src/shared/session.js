// The signed-in user, shared by every page of one app. Small enough that a
// reactive object serves; pinia would add weight for nothing here.
import { reactive } from 'vue';
import { api, get, post } from './api.js';

export const session = reactive({
  user: null,
  loaded: false,
  // Password accepted, the TOTP code still awaited: {username}. Not signed in yet.
  pending: null,
});

// A session at stage "totp" may only send its code: it is not a user yet.
function adopt(user) {
  if (user && user.stage === 'totp') {
    session.pending = { username: user.username };
    session.user = null;
  } else {
    session.pending = null;
    session.user = user;
  }
  session.loaded = true;
  return session.user;
}

/** Asks the server who we are (the cookie decides); null when not signed in. */
export async function loadSession(force = false) {
  if (session.loaded && !force) return session.user;
  try {
    return adopt(await get('auth/me', null, { quiet401: true }));
  } catch (e) {
    if (e.status !== 401) throw e;
    return adopt(null);
  }
}

/**
 * First login step. Resolves with the user, or with {stage: 'totp'} when a
 * code must follow (loginCode), or a user with stage 'enrol' (an
 * administrator who must set up a second factor first).
 */
export async function login(username, password) {
  const res = await post('auth/login', { username, password }, { quiet401: true });
  adopt(res.user);
  return res.user;
}

/** Second login step: the 6-digit code from the authenticator app. */
export async function loginCode(code) {
  const res = await post('auth/login/totp', { code }, { quiet401: true });
  return adopt(res.user);
}

/** Completes a second-factor enrolment; an administrator's session becomes a full one. */
export async function confirmTotp(code) {
  const res = await post('auth/totp/confirm', { code });
  return adopt(res.user);
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
  session.pending = null;
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
