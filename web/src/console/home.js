// Each account kind has its own landing page; residents belong on /m/.
export const HOME_PAGES = { department: '/department', merchant: '/merchant' };

/** Where a freshly signed-in user should land (false when we leave the console). */
export function homeOf(user, redirect) {
  if (user.home === 'mobile') {
    window.location.assign('/m/');
    return false;
  }
  if (HOME_PAGES[user.home]) return HOME_PAGES[user.home];
  if (typeof redirect === 'string' && redirect.startsWith('/') && !redirect.startsWith('//')) return redirect;
  return '/';
}
