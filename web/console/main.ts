// The operator console: pick a user (and a token), see its balance and ledger, record writes.
import { call, newIdempotencyKey, USER_ID_RULE, validUserId, type Caller } from './api.js';
import { showBalance } from './balance.js';
import { byId, el, formatPoints } from './dom.js';
import { clearErrors, pointsValue, showFieldError, showProblem, wireForm, type FieldErrors } from './forms.js';
import { showLedger } from './ledger.js';
import { loadToken, recentUsers, rememberUser, saveToken } from './session.js';
import { showWebhooks } from './webhooks.js';
import type { AddItem, Balance, Breakdown, LedgerPage, ReversalItem } from './types.js';

const userInput = byId<HTMLInputElement>('who-user');
const tokenInput = byId<HTMLInputElement>('who-token');
const pageSize = byId<HTMLSelectElement>('page-size');

let caller: Caller = { user: '', token: loadToken() };
/** The cursor of each page seen so far; the last is the page shown. */
let cursors: (string | null)[] = [null];
let nextCursor: string | null = null;

const say = (message: string) => {
  byId('status').textContent = message;
};
const whose = () => (caller.user ? `user ${caller.user}` : 'the default user');
const breakdownText = (breakdown: Breakdown) => breakdown.map(({ payer, points }) => `${payer} ${formatPoints(points, true)}`).join(', ');
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

function showRecentUsers() {
  byId('recent-users').replaceChildren(...recentUsers().map((user) => el('option', { value: user })));
}

async function refresh(): Promise<boolean> {
  const [balance, page] = await Promise.all([
    call<Balance>(caller, 'GET', 'balance'),
    call<LedgerPage>(caller, 'GET', `transactions?limit=${pageSize.value}${cursors.at(-1) ? `&cursor=${encodeURIComponent(cursors.at(-1)!)}` : ''}`),
  ]);
  clearErrors('who');
  const refused = !balance.ok ? balance.problem : !page.ok ? page.problem : undefined;
  if (refused) {
    showProblem('who', refused);
    return false;
  }
  if (balance.ok) showBalance(balance.body);
  if (page.ok) {
    showLedger(page.body.items, { reverse: reverseSpend, capture: (id) => void endHold(id, 'capture'), release: (id) => void endHold(id, 'release') });
    nextCursor = page.body.nextCursor;
  }
  byId('balance-user').textContent = `of ${whose()}`;
  byId('page-info').textContent = `Page ${cursors.length}`;
  byId<HTMLButtonElement>('page-first').disabled = cursors.length === 1;
  byId<HTMLButtonElement>('page-previous').disabled = cursors.length === 1;
  byId<HTMLButtonElement>('page-next').disabled = nextCursor === null;
  return true;
}

function reverseSpend(spendId: string) {
  byId<HTMLInputElement>('reverse-spendId').value = spendId;
  byId<HTMLInputElement>('reverse-points').focus();
  say(`Spend ${spendId} is in the reversal form; give points to reverse part of it, or leave them empty for all.`);
}

/** Captures all of a hold, or releases it, from its buttons in the ledger. */
async function endHold(holdId: string, how: 'capture' | 'release') {
  const answer = await call<unknown>(caller, 'POST', `holds/${encodeURIComponent(holdId)}/${how}`, { body: {}, idempotencyKey: newIdempotencyKey() });
  if (!answer.ok) {
    say(`The ${how} of hold ${holdId} was refused: ${answer.problem.detail}`);
    return;
  }
  await refresh();
  say(how === 'capture' ? `Captured hold ${holdId}.` : `Released hold ${holdId}.`);
}

byId<HTMLFormElement>('who').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors('who');
  const user = userInput.value.trim();
  if (!validUserId(user)) {
    showFieldError('who', 'user', USER_ID_RULE);
    userInput.focus();
    return;
  }
  caller = { user, token: tokenInput.value.trim() };
  saveToken(caller.token);
  rememberUser(user);
  showRecentUsers();
  cursors = [null];
  if (await refresh()) say(`Showing ${whose()}.`);
});

const page = (change: () => void) => async () => {
  change();
  if (await refresh()) say(`Ledger page ${cursors.length}.`);
};
byId('page-first').addEventListener('click', page(() => (cursors = [null])));
byId('page-previous').addEventListener('click', page(() => cursors.length > 1 && cursors.pop()));
byId('page-next').addEventListener('click', page(() => nextCursor && cursors.push(nextCursor)));
pageSize.addEventListener('change', page(() => (cursors = [null])));

const required = (values: Record<string, string>, names: string[]): FieldErrors =>
  names.filter((name) => !values[name]?.trim()).map((path) => ({ path, message: 'is required' }));
const NOT_A_NUMBER = 'must be a number, such as 250';
/** Required fields, and points (when given) that are a number. */
const check = (values: Record<string, string>, names: string[]): FieldErrors => [
  ...required(values, names),
  ...(values.points?.trim() && pointsValue(values.points) === undefined ? [{ path: 'points', message: NOT_A_NUMBER }] : []),
];

const post = <T>(route: string, body: unknown, idempotencyKey: string) => call<T>(caller, 'POST', route, { body, idempotencyKey });

/** After a write: the balance and the page shown again, and the outcome said in the live region. */
const afterWrite = (form: string, message: string) => {
  byId<HTMLFormElement>(form).reset();
  byId<HTMLInputElement>('add-timestamp').value = now();
  void refresh().then(() => say(message));
};

wireForm<AddItem>({
  id: 'add',
  prepare: (values) => {
    const errors = check(values, ['payer', 'points', 'timestamp']);
    if (errors.length) return { errors };
    const expiresAt = values.expiresAt?.trim();
    return { route: 'add', body: { payer: values.payer, points: pointsValue(values.points!), timestamp: values.timestamp!.trim(), ...(expiresAt ? { expiresAt } : {}) } };
  },
  send: post,
  done: (item) => afterWrite('add', `Recorded ${formatPoints(item.points, true)} points from ${item.payer} for ${whose()}.`),
});

wireForm<Breakdown>({
  id: 'spend',
  prepare: (values) => {
    const errors = check(values, ['points']);
    return errors.length ? { errors } : { route: 'spend', body: { points: pointsValue(values.points!) } };
  },
  send: post,
  done: (breakdown) => afterWrite('spend', `Spent for ${whose()}: ${breakdownText(breakdown)}.`),
});

wireForm<ReversalItem>({
  id: 'reverse',
  prepare: (values) => {
    const errors = check(values, ['spendId']);
    if (errors.length) return { errors };
    const points = values.points?.trim();
    return { route: `spends/${encodeURIComponent(values.spendId!.trim())}/reverse`, body: points ? { points: pointsValue(points) } : {} };
  },
  send: post,
  done: (reversal) => afterWrite('reverse', `Reversed ${formatPoints(reversal.points)} points of spend ${reversal.spend}: ${breakdownText(reversal.breakdown)}.`),
});

byId('webhooks-load').addEventListener('click', () => void showWebhooks({ user: '', token: tokenInput.value.trim() }, say));

tokenInput.value = caller.token;
byId<HTMLInputElement>('add-timestamp').value = now();
showRecentUsers();
void refresh().then((shown) => shown && say(`Showing ${whose()}.`));
