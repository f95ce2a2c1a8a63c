/**
 * Times as the console shows them: UTC to the second, and how far from now in words.
 * @module
 */

const RELATIVE = new Intl.RelativeTimeFormat('en', { numeric: 'auto' })

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400],
  ['month', 30 * 86_400],
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
]

/** `2026-12-02 16:42:58 UTC` for milliseconds since the epoch. */
export function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

/** "in 3 days", "5 minutes ago", "now": rounded in the largest unit that the distance reaches. */
export function relative(ms: number, nowMs: number): string {
  const seconds = Math.round((ms - nowMs) / 1000)
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return RELATIVE.format(Math.round(seconds / size), unit)
  }
  return 'now'
}
