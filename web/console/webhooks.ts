// The operator's webhooks: every subscription the token may see, with its failed deliveries and a
// button that retries one (POST /webhooks/{id}/deliveries/{deliveryId}/retry, then the list again).
import { call, type Caller } from './api.js';
import { byId, el } from './dom.js';
import type { DeliveryPage, Problem, Webhook } from './types.js';

const when = (timestamp: string | null) => (timestamp ? el('time', { datetime: timestamp }, timestamp.replace('T', ' ')) : 'never');

/** The webhook routes are not a user's: called on the bare path whatever user is picked. */
const asOperator = (caller: Caller): Caller => ({ user: '', token: caller.token });

export async function showWebhooks(caller: Caller, say: (message: string) => void): Promise<void> {
  const list = byId('webhook-items');
  const problem = byId('webhooks-problem');
  const fail = (p: Problem) => {
    problem.textContent = p.detail;
    problem.hidden = false;
  };
  problem.hidden = true;
  const subs = await call<{ items: Webhook[] }>(asOperator(caller), 'GET', 'webhooks');
  if (!subs.ok) return fail(subs.problem);
  const rows = await Promise.all(
    subs.body.items.map(async (sub) => ({ sub, failed: await call<DeliveryPage>(asOperator(caller), 'GET', `webhooks/${encodeURIComponent(sub.id)}/deliveries?status=failed&limit=20`) })),
  );
  list.replaceChildren(
    ...rows.map(({ sub, failed }) => {
      const deliveries = failed.ok ? failed.body.items : [];
      return el(
        'li',
        { class: `item webhook ${sub.status}` },
        el('p', { class: 'head' }, el('span', { class: 'kind' }, sub.status === 'enabled' ? 'Enabled' : 'Disabled'), ' ', el('code', {}, sub.url)),
        el('p', {}, `payer ${sub.payer ?? 'any'} · ${sub.types.length} event types · `, el('span', { class: deliveries.length ? 'error' : 'subtle' }, `${deliveries.length}${failed.ok && failed.body.nextCursor ? '+' : ''} failed`)),
        deliveries.length
          ? el('ul', { class: 'breakdown', 'aria-label': `Failed deliveries of ${sub.id}` }, ...deliveries.map((d) => {
              const button = el('button', { type: 'button', class: 'small', 'aria-label': `Retry the delivery of event ${d.eventId}` }, 'Retry');
              button.disabled = sub.status !== 'enabled';
              button.addEventListener('click', async () => {
                const retried = await call(asOperator(caller), 'POST', `webhooks/${encodeURIComponent(sub.id)}/deliveries/${encodeURIComponent(d.id)}/retry`);
                if (!retried.ok) return fail(retried.problem);
                say(`Retrying event ${d.eventId} to ${sub.url}.`);
                setTimeout(() => void showWebhooks(caller, say), 1500);
              });
              return el('li', {}, el('code', {}, d.eventId), ` · ${d.attempts} attempts · last `, d.lastStatus === null ? 'no answer' : `HTTP ${d.lastStatus}`, ' at ', when(d.lastAttemptAt), ' ', button);
            }))
          : null,
        el('p', { class: 'id subtle' }, 'id ', el('code', {}, sub.id)),
      );
    }),
  );
  if (rows.length === 0) list.append(el('li', { class: 'empty' }, 'No webhook subscriptions.'));
}
