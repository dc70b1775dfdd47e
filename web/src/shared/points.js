// 积分制 (DOMAIN.md §3) helpers shared by the console and the phone pages:
// months as people say them, deed and redemption states, the community a
// node belongs to. QR codes live in qr.js, loaded only by the pages that draw one.

const TZ = 'Asia/Shanghai';

/** Shanghai's calendar day "2026-11-26", whatever the browser's clock zone. */
export function shanghaiDay(d = new Date()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

export const thisMonth = () => shanghaiDay().slice(0, 7);

/** "2026-11" → "2026-10" (n months back; negative n goes forward). */
export function monthBefore(month, n = 1) {
  const [y, m] = month.split('-').map(Number);
  const idx = y * 12 + (m - 1) - n;
  return `${Math.floor(idx / 12)}-${String((idx % 12) + 1).padStart(2, '0')}`;
}

export const previousMonth = () => monthBefore(thisMonth(), 1);

const MONTHS_EN = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "2026-10" → "2026年10月" / "October 2026"; "2026" → "2026年" / "2026". */
export function monthLabel(month, locale = 'zh-CN') {
  if (!month) return '';
  const [y, m] = String(month).split('-');
  const zh = String(locale).startsWith('zh');
  if (!m) return zh ? `${y}年` : y;
  return zh ? `${y}年${Number(m)}月` : `${MONTHS_EN[Number(m) - 1]} ${y}`;
}

/** Node paths run /district/street/community/…: the community is the third id. */
export function communityIdOfPath(path) {
  const ids = String(path || '')
    .split('/')
    .filter(Boolean)
    .map(Number);
  return ids.length >= 3 ? ids[2] : null;
}

/** "+10" / "-5" / "0": points always carry their sign. */
export function signed(n) {
  const v = Number(n) || 0;
  return v > 0 ? `+${v}` : String(v);
}

export const DEED_STATES = ['pending', 'approved', 'rejected'];
export const REDEMPTION_STATES = ['ordered', 'handed_over', 'code_issued', 'verified', 'expired', 'cancelled'];
export const HONOUR_KINDS = ['best_resident', 'best_volunteer', 'best_merchant', 'ten_star_household'];
// Roles that may be named as a rule's recorders (a rule lists role codes).
export const RECORDER_ROLES = ['building_head', 'unit_head', 'party_group_leader', 'branch_secretary', 'grid_worker', 'community_staff'];

/** The role codes of a rule's `recorders` ("building_head,unit_head"). */
export function recordersOf(rule) {
  return String(rule?.recorders || '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** True when one of the user's roles is among the rule's recorders (admins always may). */
export function mayRecord(rule, user) {
  const allowed = recordersOf(rule);
  return (user?.roles || []).some((r) => r.role === 'admin' || allowed.includes(r.role));
}

/** Role codes → "楼栋长、单元长" in the current language. */
export function recordersText(t, rule, sep = '、') {
  return recordersOf(rule)
    .map((code) => {
      const key = `roles.${code}`;
      const s = t(key);
      return s === key ? code : s;
    })
    .join(sep);
}

/** Where the phone page of a published month lives (the QR code on the printed notice). */
export function noticeUrl(communityId, month, origin = window.location.origin) {
  return `${origin}/m/points/notice/${communityId}/${month}`;
}

/** Copies text, with the old textarea trick when the Clipboard API is not there. */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall through to the old way */
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  document.body.removeChild(ta);
  return ok;
}
