// RFC 3339 date-times as SPEC "Fields" defines them, checked as real calendar instants.
// Date.parse is too lenient (it accepts 2022-02-30 and rolls it over), so parsing is by hand.

const PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,30}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

export interface Instant {
  /** The instant in UTC as returned to clients: seconds precision plus the fraction as written. */
  utc: string;
  /** Sorts like the instant itself (bytewise): trailing zeros of the fraction are dropped. */
  sortKey: string;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Returns the normalised instant, or a reason why the text is not a valid timestamp. */
export function parseTimestamp(text: string): Instant | { error: string } {
  const m = PATTERN.exec(text);
  if (!m) return { error: 'must be an RFC 3339 date-time such as 2022-10-31T10:00:00Z or 2022-10-31T12:00:00+02:00' };
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fraction = m[7];
  if (month < 1 || month > 12) return { error: 'month must be 01-12' };
  if (day < 1 || day > daysInMonth(year, month)) return { error: `day ${pad(day, 2)} does not exist in ${pad(year, 4)}-${pad(month, 2)}` };
  if (hour > 23) return { error: 'hour must be 00-23' };
  if (minute > 59) return { error: 'minute must be 00-59' };
  if (second > 59) return { error: 'second must be 00-59 (leap seconds are not accepted)' };
  let offsetMinutes = 0;
  if (m[8]) {
    const offHours = Number(m[9]);
    const offMinutes = Number(m[10]);
    if (offHours > 23 || offMinutes > 59) return { error: 'offset must be between -23:59 and +23:59' };
    offsetMinutes = (m[8] === '-' ? -1 : 1) * (offHours * 60 + offMinutes);
  }
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute - offsetMinutes, second, 0);
  const y = date.getUTCFullYear();
  if (y < 0 || y > 9999) return { error: 'must lie between 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z' };
  const base =
    `${pad(y, 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}` +
    `T${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}`;
  const significant = fraction?.replace(/0+$/, '') ?? '';
  return {
    utc: fraction === undefined ? `${base}Z` : `${base}.${fraction}Z`,
    // "…:SS" < "…:SS.5" < "…:SS.55" bytewise, as instants; callers append "#" + sequence,
    // and "#" sorts before "." and digits, so equal instants fall back to arrival order.
    sortKey: significant ? `${base}.${significant}` : base,
  };
}

/** An instant given in epoch milliseconds (the service's clock) as returned to clients and as a sort key. */
export function instantOfMs(ms: number): Instant {
  const parsed = parseTimestamp(new Date(ms).toISOString());
  if ('error' in parsed) throw new Error(`clock out of range: ${ms}`);
  return parsed;
}
