// The balance per payer, twice: an inline SVG bar chart (one row per payer, the name above its
// bar so long names never squeeze the bars) and a table of the numbers.
import { byId, el, formatPoints, svg } from './dom.js';
import type { Balance } from './types.js';

const ROW = 46;
const LABEL_FONT = 14;
const VALUE_SPACE = 96;

let shown: Balance = {};

/** Cuts a label to about the characters that fit, keeping the whole name in a tooltip. */
function fit(text: string, width: number): string {
  const max = Math.max(4, Math.floor(width / (LABEL_FONT * 0.6)));
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function drawChart() {
  const chart = byId('chart') as unknown as SVGSVGElement;
  const entries = Object.entries(shown);
  const width = Math.max(200, chart.parentElement?.clientWidth ?? 300);
  const height = Math.max(1, entries.length) * ROW;
  chart.setAttribute('viewBox', `0 0 ${width} ${height}`);
  chart.setAttribute('width', String(width));
  chart.setAttribute('height', String(height));
  const largest = Math.max(1, ...entries.map(([, points]) => points));
  const barSpace = width - VALUE_SPACE;
  const rows = entries.map(([payer, points], index) => {
    const y = index * ROW;
    const row = svg('g', { class: 'bar', 'data-payer': payer });
    row.append(svg('title', {}, `${payer}: ${formatPoints(points)}`));
    row.append(svg('text', { x: 0, y: y + LABEL_FONT, class: 'label' }, fit(payer, width)));
    const barWidth = points > 0 ? Math.max(2, (points / largest) * barSpace) : 0;
    row.append(svg('rect', { x: 0, y: y + 20, width: barWidth, height: 18, rx: 3 }));
    row.append(svg('text', { x: barWidth + 6, y: y + 34, class: 'value' }, formatPoints(points)));
    return row;
  });
  chart.replaceChildren(...(rows.length ? rows : [svg('text', { x: 0, y: LABEL_FONT, class: 'label' }, 'No payers yet')]));
}

export function showBalance(balance: Balance) {
  shown = balance;
  const entries = Object.entries(balance);
  const total = entries.reduce((sum, [, points]) => sum + points, 0);
  byId('total').textContent = `Total: ${formatPoints(total)} points from ${entries.length} payer${entries.length === 1 ? '' : 's'}`;
  byId('balances').querySelector('tbody')!.replaceChildren(
    ...entries.map(([payer, points]) => el('tr', {}, el('th', { scope: 'row' }, payer), el('td', { class: 'num' }, formatPoints(points)))),
  );
  drawChart();
}

// The chart is drawn in CSS pixels of its box, so a phone gets readable text, not a shrunk
// picture; redrawn when the box's width changes (its height follows the chart).
let drawnWidth = 0;
new ResizeObserver(([entry]) => {
  const width = Math.round(entry?.contentRect.width ?? 0);
  if (width === drawnWidth) return;
  drawnWidth = width;
  drawChart();
}).observe(byId('chart').parentElement!);
