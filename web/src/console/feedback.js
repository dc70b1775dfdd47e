// Element Plus message helpers for the console. Service components are
// imported by hand (the auto-import plugin only sees template tags).
import { ElMessage, ElMessageBox } from 'element-plus';
import 'element-plus/es/components/message/style/css';
import 'element-plus/es/components/message-box/style/css';
import { i18n } from '@/i18n/index.js';
import { errorText } from '@/shared/errors.js';

const t = (...a) => i18n.global.t(...a);

export function showError(err) {
  // A 401 already sends the user to the login page; one message is enough there.
  if (err?.status === 401) return;
  ElMessage({ type: 'error', message: errorText(err, t), showClose: true, duration: 5000 });
}

export function showSuccess(message) {
  ElMessage({ type: 'success', message });
}

/** Resolves true when the user confirms, false when they cancel. */
export async function confirm(message, title, opts = {}) {
  try {
    await ElMessageBox.confirm(message, title || t('common.confirmTitle'), {
      confirmButtonText: t('common.ok'),
      cancelButtonText: t('common.cancel'),
      type: 'warning',
      ...opts,
    });
    return true;
  } catch {
    return false;
  }
}
