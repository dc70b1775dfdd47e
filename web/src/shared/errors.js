// Turns an ApiError into the sentence a person should read. The server's
// Chinese `detail` wins; our own words only fill in when it sent none.

export function errorText(err, t) {
  if (!err) return '';
  if (err.status === 0) return t('common.networkError');
  if (err.detail) return err.detail;
  switch (err.status) {
    case 401:
      return t('common.sessionExpired');
    case 403:
      return t('common.forbidden');
    case 404:
      return t('common.notFound');
    case 423:
      return t('auth.locked');
    case 429:
      return err.retryAfter ? t('auth.throttled', { s: err.retryAfter }) : t('auth.throttledNoWait');
    default:
      return err.status ? t('common.serverError', { status: err.status }) : String(err.message || err);
  }
}
