// The ledger, page by page (oldest first, as the API records it): lots with what remains, when
// they expire and (pending ones) when they become available, spends with their breakdown and what
// was reversed, holds with their status (capture and release buttons while held), expiries,
// reversals and releases.
import { byId, el, formatPoints } from './dom.js';
import type { Breakdown, LedgerItem } from './types.js';

const when = (timestamp: string) => el('time', { datetime: timestamp }, timestamp.replace('T', ' '));

const breakdownList = (breakdown: Breakdown, label: string) =>
  el('ul', { class: 'breakdown', 'aria-label': label }, ...breakdown.map(({ payer, points }) => el('li', {}, `${payer} `, el('span', { class: 'num' }, formatPoints(points, true)))));

const head = (kind: string, points: number, timestamp: string) =>
  el('p', { class: 'head' }, el('span', { class: 'kind' }, kind), ' ', el('strong', { class: 'num' }, formatPoints(points, true)), ' ', when(timestamp));

export interface LedgerActions {
  reverse(spendId: string): void;
  capture(holdId: string): void;
  release(holdId: string): void;
}

const action = (label: string, name: string, run: () => void) => {
  const button = el('button', { type: 'button', class: 'small', 'aria-label': name }, label);
  button.addEventListener('click', run);
  return button;
};

function details(item: LedgerItem, actions: LedgerActions): Node[] {
  switch (item.type) {
    case 'add': {
      const lot = item.remaining !== undefined ? `remaining ${formatPoints(item.remaining)} of ${formatPoints(item.points)}` : 'takes back from the payer';
      const expiry = item.expiresAt ? el('span', {}, ' · expires ', when(item.expiresAt)) : null;
      const available = item.availableAt ? el('span', {}, ' · available from ', when(item.availableAt)) : null;
      return [el('p', {}, el('span', { class: 'payer' }, item.payer), ` · ${lot}`, available ?? '', expiry ?? '')];
    }
    case 'hold': {
      const buttons = item.status === 'held' ? [' ', action('Capture', `Capture hold ${item.id}`, () => actions.capture(item.id)), ' ', action('Release', `Release hold ${item.id}`, () => actions.release(item.id))] : [];
      return [
        breakdownList(item.breakdown, 'Held from'),
        el('p', {}, `${item.status}${item.status === 'captured' ? ` ${formatPoints(item.captured)}` : ''} · expires `, when(item.expiresAt), ...buttons),
      ];
    }
    case 'release':
      return [el('p', {}, `of hold `, el('code', {}, item.hold), item.expired ? ' (expired)' : ''), breakdownList(item.breakdown, 'Given back to')];
    case 'spend': {
      const button = action('Reverse…', `Reverse spend ${item.id}`, () => actions.reverse(item.id));
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

const KIND: Record<LedgerItem['type'], string> = { add: 'Add', spend: 'Spend', expire: 'Expired', reversal: 'Reversal', hold: 'Hold', release: 'Release' };

export function showLedger(items: LedgerItem[], actions: LedgerActions) {
  byId('ledger-items').replaceChildren(
    ...items.map((item) =>
      el('li', { class: `item ${item.type}`, 'data-id': item.id }, head(KIND[item.type], item.points, item.timestamp), ...details(item, actions), el('p', { class: 'id subtle' }, 'id ', el('code', {}, item.id))),
    ),
  );
  if (items.length === 0) byId('ledger-items').append(el('li', { class: 'empty' }, 'Nothing recorded on this page.'));
}
