// 诉求办理: the codes of docs/CASES.md, their labels, deadlines as people say
// them ("剩余 2天3小时", "已超期"), photo upload and the category tree.
import { get, post } from './api.js';

export const LEVELS = ['building', 'grid', 'community', 'street', 'department'];
export const CASE_TYPES = ['big', 'practical', 'important', 'urgent', 'hard'];
export const URGENCIES = ['normal', 'urgent'];
export const CHANNELS = ['mobile', 'patrol', 'hotline', 'meeting', 'station', 'open311'];
// What staff may pick when they register a case for someone.
export const STAFF_CHANNELS = ['hotline', 'patrol', 'meeting', 'station'];
export const STATES = ['submitted', 'accepted', 'assigned', 'in_progress', 'resolved', 'follow_up', 'closed', 'suspended', 'rejected', 'merged'];
export const OPEN_STATES = ['submitted', 'accepted', 'assigned', 'in_progress', 'resolved', 'follow_up', 'suspended'];
export const RATINGS = ['satisfied', 'basic', 'unsatisfied'];
export const WHISTLE_STATES = ['whistled', 'reported', 'arrived', 'acted', 'returned'];

/** Chip colour per state: waiting (orange), moving (blue), checking (purple), done (green), stopped (grey). */
export const STATE_TONE = {
  submitted: 'wait',
  accepted: 'move',
  assigned: 'move',
  in_progress: 'move',
  resolved: 'check',
  follow_up: 'check',
  closed: 'done',
  suspended: 'stop',
  rejected: 'stop',
  merged: 'stop',
};

/**
 * A code's words: in Chinese the server's own name wins (it is the authority);
 * otherwise our message under cases.GROUP.CODE, else whatever the server sent.
 */
export function caseWord(i18n, group, code, serverName) {
  const { t, te, locale } = i18n;
  if (!code) return serverName || '';
  const loc = typeof locale === 'string' ? locale : locale?.value;
  if (serverName && String(loc || '').startsWith('zh')) return serverName;
  const key = `cases.${group}.${code}`;
  return te(key) ? t(key) : serverName || code;
}

const MIN = 60 * 1000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** "2天3小时" / "3小时20分" / "45分钟" (or the English equivalents). */
export function durationText(t, ms) {
  const abs = Math.max(0, Math.abs(ms));
  const d = Math.floor(abs / DAY);
  const h = Math.floor((abs % DAY) / HOUR);
  const m = Math.floor((abs % HOUR) / MIN);
  if (d > 0) return h ? t('cases.dur.dh', { d, h }) : t('cases.dur.d', { d });
  if (h > 0) return m ? t('cases.dur.hm', { h, m }) : t('cases.dur.h', { h });
  return t('cases.dur.m', { m: Math.max(m, 1) });
}

/**
 * One deadline as a worker reads it.
 * → {tone: 'done'|'over'|'near'|'ok'|'none', text}
 * doneAt: when the step was done (the deadline no longer runs).
 * nearMs: what counts as "即将到期" without the server's flag (default 24 h).
 */
export function deadline(t, dueIso, { doneAt = null, now = Date.now(), nearMs = DAY, near = null } = {}) {
  if (doneAt) {
    const late = dueIso && new Date(doneAt).getTime() > new Date(dueIso).getTime();
    return { tone: late ? 'late' : 'done', text: late ? t('cases.due.doneLate') : t('cases.due.done') };
  }
  if (!dueIso) return { tone: 'none', text: '' };
  const left = new Date(dueIso).getTime() - now;
  if (left < 0) return { tone: 'over', text: t('cases.due.over', { d: durationText(t, left) }) };
  const isNear = near ?? left < nearMs;
  return { tone: isNear ? 'near' : 'ok', text: t('cases.due.left', { d: durationText(t, left) }) };
}

export const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
export const PHOTO_MAX = 5 * 1024 * 1024;

/** Why a file cannot be sent as a photo ('' when it can): a message key. */
export function photoProblem(file) {
  if (!file) return 'cases.photo.none';
  if (!String(file.type || '').startsWith('image/')) return 'cases.photo.type';
  return '';
}

const MAX_SIDE = 2048;
/**
 * Phone photos are often larger than 5 MB (or HEIC/other types the server
 * refuses): redraw them as a JPEG no wider than 2048 px. Files the server
 * takes as they are pass through untouched.
 */
export async function shrinkPhoto(file) {
  if (PHOTO_TYPES.includes(file.type) && file.size <= PHOTO_MAX) return file;
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw Object.assign(new Error('photo'), { status: 415, detail: '', photoKey: 'cases.photo.type' });
  }
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close?.();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
  if (!blob || blob.size > PHOTO_MAX) throw Object.assign(new Error('photo'), { status: 413, detail: '', photoKey: 'cases.photo.size' });
  return new File([blob], String(file.name || 'photo').replace(/\.[^.]+$/, '') + '.jpg', { type: 'image/jpeg' });
}

/** POST /blobs with the photo's bytes (shrunk when needed) → its sha256. */
export async function uploadPhoto(file) {
  const ready = await shrinkPhoto(file);
  const res = await post('blobs', ready, { contentType: ready.type });
  return res.sha256;
}

/** The words for an upload failure: our own for local problems, else the server's. */
export function photoErrorText(err, t, errorText) {
  if (err?.photoKey) return t(err.photoKey);
  return errorText(err, t);
}

export const blobUrl = (sha) => `/api/v1/blobs/${sha}`;

let categoriesPromise = null;
/** The two-level category tree, fetched once per page load. */
export function loadCategories() {
  categoriesPromise ??= get('case-categories').catch((e) => {
    categoriesPromise = null;
    throw e;
  });
  return categoriesPromise;
}

/** Forgets the cached tree (after 办理设置 changed it). */
export function resetCategories() {
  categoriesPromise = null;
}

/** [parentId, id] for a category id (cascader value), or [id] for a top one. */
export function categoryPath(tree, id) {
  for (const top of tree || []) {
    if (top.id === id) return [top.id];
    for (const c of top.children || []) if (c.id === id) return [top.id, c.id];
  }
  return [];
}

/** Title from the first words of the description when the reporter gave none. */
export function autoTitle(description, max = 20) {
  const s = String(description || '')
    .replace(/\s+/g, ' ')
    .trim();
  const first = s.split(/[。！？!?；;\n]/)[0].trim() || s;
  const chars = [...first];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : first;
}

/** The level above / below a level, in the order of LEVELS. */
export const levelsAbove = (level) => LEVELS.slice(LEVELS.indexOf(level) + 1);
export const levelsBelow = (level) => (LEVELS.indexOf(level) > 0 ? LEVELS.slice(0, LEVELS.indexOf(level)) : []);
