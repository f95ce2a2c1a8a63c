/**
 * `GET /jwt/v1/pack?max=N`: every unexpired account as `<pubkey>|<jwt>` lines joined by "\n"
 * (no trailing newline), in pubkey order. Used by replicas (`-primary`) and for exports.
 * @module
 */
import { Hono } from 'hono'
import { AccountServerError, ErrorCode } from '../../errors.js'
import type { AccountService } from '../../service/accounts.js'

export type PackRoutesOptions = {
  service: AccountService
  /** Default and cap for `max`; a negative `max` bypasses it, as in the Go server. @default 10000 */
  maxPack?: number
}

/** Go's `strconv.Atoi`: optional sign, decimal digits, 64-bit range. */
function parseGoInt(text: string): number | null {
  if (!/^[+-]?\d+$/.test(text)) return null
  const value = BigInt(text)
  if (value > 9223372036854775807n || value < -9223372036854775808n) return null
  return Number(value)
}

export function packRoutes(options: PackRoutesOptions): Hono {
  const { service } = options
  const cap = options.maxPack ?? 10_000
  const app = new Hono()
  app.get('/jwt/v1/pack', async (c) => {
    const raw = (c.req.query('max') ?? '').toLowerCase()
    let limit = cap
    if (raw !== '') {
      const parsed = parseGoInt(raw)
      if (parsed === null) {
        throw new AccountServerError(ErrorCode.BadParameter, `bad max parameter ${JSON.stringify(raw)}`)
      }
      if (cap >= 0 && parsed > cap) {
        throw new AccountServerError(
          ErrorCode.BadParameter,
          `bad max parameter ${JSON.stringify(raw)}, no more than ${cap} are allowed`,
        )
      }
      limit = parsed
    }
    const lines = await service.pack(limit)
    return new Response(lines.join('\n'), { headers: { 'Content-Type': 'text/plain' } })
  })
  return app
}
