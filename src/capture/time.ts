/**
 * Exact capture-time helpers. A capture time is a pair of integers: seconds since the Unix epoch
 * and nanoseconds within that second (0..999999999). Nothing here goes through a float for the
 * sub-second part, so nanosecond values survive intact.
 */

const NS_PER_SEC = 1_000_000_000;

function pad(n: number, width: number): string {
  let s = String(n);
  while (s.length < width) s = '0' + s;
  return s;
}

/**
 * Civil date from days since 1970-01-01 (proleptic Gregorian), after Howard Hinnant's
 * `civil_from_days`. Exact for any safe-integer day count.
 */
function civilFromDays(z0: number): [number, number, number] {
  const z = z0 + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097; // [0, 146096]
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100)); // [0, 365]
  const mp = Math.floor((5 * doy + 2) / 153); // [0, 11]
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1; // [1, 31]
  const m = mp < 10 ? mp + 3 : mp - 9; // [1, 12]
  return [m <= 2 ? y + 1 : y, m, d];
}

/**
 * ISO-8601 UTC with nine fractional digits: `formatIsoTime(1795662392, 123456789)` →
 * `"2026-11-25T03:06:32.123456789Z"`. `nsec` outside 0..999999999 is normalised into `sec`.
 * Years outside 0000..9999 use the ISO expanded form (`+012345`, `-000001`).
 */
export function formatIsoTime(sec: number, nsec: number): string {
  let s = Math.trunc(sec);
  let ns = Math.trunc(nsec);
  if (!Number.isFinite(s) || !Number.isFinite(ns)) return 'invalid-time';
  if (ns < 0 || ns >= NS_PER_SEC) {
    const carry = Math.floor(ns / NS_PER_SEC);
    s += carry;
    ns -= carry * NS_PER_SEC;
  }
  const days = Math.floor(s / 86400);
  let rem = s - days * 86400; // [0, 86399]
  const hh = Math.floor(rem / 3600);
  rem -= hh * 3600;
  const mm = Math.floor(rem / 60);
  const ss = rem - mm * 60;
  const [y, mo, d] = civilFromDays(days);
  const year = y >= 0 && y <= 9999 ? pad(y, 4) : (y < 0 ? '-' : '+') + pad(Math.abs(y), 6);
  return `${year}-${pad(mo, 2)}-${pad(d, 2)}T${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}.${pad(ns, 9)}Z`;
}

/** -1, 0 or 1 as time a is before, equal to, or after time b. */
export function compareTime(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  if (aSec !== bSec) return aSec < bSec ? -1 : 1;
  if (aNsec !== bNsec) return aNsec < bNsec ? -1 : 1;
  return 0;
}

/**
 * a − b in seconds (a float: fine for durations; the integer parts are subtracted first so the
 * result keeps nanosecond precision for differences up to ~100 days).
 */
export function timeDiffSeconds(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return aSec - bSec + (aNsec - bNsec) / NS_PER_SEC;
}
