// Dates as people in the community read them: Beijing time, Chinese style
// ("2026年11月25日 16:00") unless the user switched to English.

const TZ = 'Asia/Shanghai';
const partsFmt = new Intl.DateTimeFormat('en-US', {
  timeZone: TZ,
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function shanghaiParts(date) {
  const out = {};
  for (const p of partsFmt.formatToParts(date)) out[p.type] = p.value;
  return {
    y: Number(out.year),
    m: Number(out.month),
    d: Number(out.day),
    hh: out.hour === '24' ? '00' : out.hour,
    mm: out.minute,
  };
}

/** UTC ISO instant → "2026年11月25日 16:00" (zh) or "Nov 25, 2026 16:00" (en). */
export function formatDateTime(iso, locale = 'zh-CN') {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const p = shanghaiParts(date);
  if (locale.startsWith('zh')) return `${p.y}年${p.m}月${p.d}日 ${p.hh}:${p.mm}`;
  return `${MONTHS_EN[p.m - 1]} ${p.d}, ${p.y} ${p.hh}:${p.mm}`;
}

/** A calendar date without time ("1950-03-02"): no time zone shift applies. */
export function formatDate(ymd, locale = 'zh-CN') {
  if (!ymd) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(ymd));
  if (!m) return String(ymd);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (locale.startsWith('zh')) return `${y}年${mo}月${d}日`;
  return `${MONTHS_EN[mo - 1]} ${d}, ${y}`;
}
