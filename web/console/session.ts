// What the console remembers for this browser tab only (sessionStorage): the token and the
// users looked at, so a reload keeps them and closing the tab forgets them.
const TOKEN = 'points.token';
const USERS = 'points.users';

export const loadToken = () => sessionStorage.getItem(TOKEN) ?? '';
export function saveToken(token: string) {
  if (token) sessionStorage.setItem(TOKEN, token);
  else sessionStorage.removeItem(TOKEN);
}

export function recentUsers(): string[] {
  try {
    const users: unknown = JSON.parse(sessionStorage.getItem(USERS) ?? '[]');
    return Array.isArray(users) ? users.filter((u): u is string => typeof u === 'string') : [];
  } catch {
    return [];
  }
}

export function rememberUser(user: string) {
  if (!user) return;
  sessionStorage.setItem(USERS, JSON.stringify([user, ...recentUsers().filter((u) => u !== user)].slice(0, 20)));
}
