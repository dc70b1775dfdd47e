// The same checks the server makes, run while the worker types, so mistakes
// show up beside the field before anything is sent.

export const MOBILE_RE = /^1[3-9]\d{9}$/;
export const NAME_MAX = 30;

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

export function isMobile(s) {
  return MOBILE_RE.test(String(s || ''));
}

/** ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number. */
export function idCheckChar(first17) {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i];
  return ID_CHECK[sum % 11];
}

/**
 * Why an 18-character resident ID number is wrong, or '' when it is right.
 * Reasons are keys under validation.* in the message files.
 */
export function idNumberProblem(raw) {
  const s = String(raw || '').trim().toUpperCase();
  if (s.length !== 18) return 'idLength';
  if (!/^\d{17}[\dX]$/.test(s)) return 'idChars';
  const y = Number(s.slice(6, 10));
  const m = Number(s.slice(10, 12));
  const d = Number(s.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  const valid =
    y >= 1900 &&
    date.getUTCFullYear() === y &&
    date.getUTCMonth() === m - 1 &&
    date.getUTCDate() === d &&
    date.getTime() <= Date.now();
  if (!valid) return 'idBirth';
  if (idCheckChar(s) !== s[17]) return 'idCheck';
  return '';
}

export function isIdNumber(s) {
  return idNumberProblem(s) === '';
}

/** Birth date "YYYY-MM-DD" and gender "男"/"女" that a valid ID number encodes. */
export function idNumberFacts(raw) {
  const s = String(raw || '').trim().toUpperCase();
  if (!isIdNumber(s)) return null;
  return {
    birthDate: `${s.slice(6, 10)}-${s.slice(10, 12)}-${s.slice(12, 14)}`,
    gender: Number(s[16]) % 2 === 1 ? '男' : '女',
  };
}

export function nameProblem(raw) {
  const s = String(raw || '').trim();
  if (!s) return 'nameRequired';
  if ([...s].length > NAME_MAX) return 'nameTooLong';
  return '';
}
