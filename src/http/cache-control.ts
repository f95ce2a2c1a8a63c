import type { CachedAccount } from '../service/accounts.js'

/** JWTs without `exp` may be cached but must be revalidated (cheap: `If-None-Match` → 304). */
const REVALIDATE = 'no-cache'

/** Cache-Control from `exp` (as the Go server), never a negative max-age (the Go server's bug). */
export function cacheControl(entry: CachedAccount, nowMs: number): string {
  const { exp } = entry
  if (exp === 0) return REVALIDATE
  const maxAge = Math.trunc(exp - nowMs / 1000)
  return maxAge > 0 ? `max-age=${maxAge}, stale-while-revalidate=3600, stale-if-error=3600` : REVALIDATE
}
