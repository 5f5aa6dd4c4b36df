// The ledger, page by page (oldest first, as the API records it): lots with what remains and
// when they expire, spends with their breakdown and what was reversed, expiries and reversals.
import { byId, el, formatPoints } from './dom.js';
import type { Breakdown, LedgerItem } from './types.js';

const when = (timestamp: string) => el('time', { datetime: timestamp }, timestamp.replace('T', ' '));

const breakdownList = (breakdown: Breakdown, label: string) =>
  el('ul', { class: 'breakdown', 'aria-label': label }, ...breakdown.map(({ payer, points }) => el('li', {}, `${payer} `, el('span', { class: 'num' }, formatPoints(points, true)))));

const head = (kind: string, points: number, timestamp: string) =>
  el('p', { class: 'head' }, el('span', { class: 'kind' }, kind), ' ', el('strong', { class: 'num' }, formatPoints(points, true)), ' ', when(timestamp));

function details(item: LedgerItem, onReverse: (spendId: string) => void): Node[] {
  switch (item.type) {
    case 'add': {
      const lot = item.remaining !== undefined ? `remaining ${formatPoints(item.remaining)} of ${formatPoints(item.points)}` : 'takes back from the payer';
      const expiry = item.expiresAt ? el('span', {}, ' · expires ', when(item.expiresAt)) : null;
      return [el('p', {}, el('span', { class: 'payer' }, item.payer), ` · ${lot}`, expiry ?? '')];
    }
    case 'spend': {
      const button = el('button', { type: 'button', class: 'small', 'aria-label': `Reverse spend ${item.id}` }, 'Reverse…');
      button.addEventListener('click', () => onReverse(item.id));
      return [
        breakdownList(item.breakdown, 'Taken from'),
        el('p', {}, `reversed ${formatPoints(item.reversed)} of ${formatPoints(Math.abs(item.points))}`, ' ', button),
      ];
    }
    case 'expire':
      return [el('p', {}, el('span', { class: 'payer' }, item.payer), ' · lot ', el('code', {}, item.lot))];
    case 'reversal':
      return [el('p', {}, 'of spend ', el('code', {}, item.spend)), breakdownList(item.breakdown, 'Given back to')];
  }
}

const KIND: Record<LedgerItem['type'], string> = { add: 'Add', spend: 'Spend', expire: 'Expired', reversal: 'Reversal' };

export function showLedger(items: LedgerItem[], onReverse: (spendId: string) => void) {
  byId('ledger-items').replaceChildren(
    ...items.map((item) =>
      el('li', { class: `item ${item.type}`, 'data-id': item.id }, head(KIND[item.type], item.points, item.timestamp), ...details(item, onReverse), el('p', { class: 'id subtle' }, 'id ', el('code', {}, item.id))),
    ),
  );
  if (items.length === 0) byId('ledger-items').append(el('li', { class: 'empty' }, 'Nothing recorded on this page.'));
}
