/**
 * Operator-signed delete requests in nats-server's `$SYS.REQ.CLAIMS.DELETE` format (a generic JWT
 * with `sub` = `iss` = a trusted operator key and `nats.accounts` listing the accounts), whether
 * they come over NATS or HTTP: nats-server's rules, plus freshness and replay protection, and the
 * same tombstones either way.
 * @module
 */
import { createHash } from 'node:crypto'
import { describeIat } from '../errors.js'
import { decodeJwt } from '../jwt/decode.js'
import { isAccountKey } from '../jwt/nkeys.js'
import { isTrustedIssuer } from '../jwt/trust.js'
import { verifySignature } from '../jwt/verify.js'
import type { PutSource } from '../store/types.js'
import type { AccountService } from './service.js'

/** nsc stamps delete requests with the time it sends them; older ones are replays. */
const DELETE_MAX_AGE_S = 600

/** A refused request: who asked (the request's subject, or "unknown") and why. */
export class DeleteRefusal extends Error {
  readonly requester: string
  readonly reason: string
  constructor(requester: string, reason: string) {
    super(`delete request by ${requester} refused: ${reason}`)
    this.name = 'DeleteRefusal'
    this.requester = requester
    this.reason = reason
  }
}

/** A request that passed every rule, not applied yet. */
export type VerifiedDelete = { requester: string; accounts: string[]; issued: number; jti: string; id: string }

export type DeleteOutcome = {
  deleted: number
  /** `<key> issued <time>` for each account re-created at or after the request, which stays. */
  kept: string[]
}

export class DeleteRequests {
  readonly #service: AccountService
  /** Requests already applied (by jti, or by bytes without one), until they are too old anyway. */
  readonly #applied = new Map<string, number>()

  constructor(service: AccountService) {
    this.#service = service
  }

  /**
   * nats-server's rules (operator-signed, `sub == iss`, no system account) plus freshness.
   * @throws DeleteRefusal
   */
  verify(data: Uint8Array): VerifiedDelete {
    let claims
    try {
      const decoded = decodeJwt(Buffer.from(data).toString('utf8'))
      verifySignature(decoded)
      claims = decoded.claims
    } catch (err) {
      throw new DeleteRefusal('unknown', `malformed request: ${(err as Error).message}`)
    }
    const requester = claims.sub ?? 'unknown'
    const refuse = (reason: string) => new DeleteRefusal(requester, reason)
    if (claims.sub !== claims.iss) throw refuse('not self signed')
    const trust = this.#service.trust
    if (trust === null || !isTrustedIssuer(trust, claims.iss ?? '')) throw refuse('not trusted')
    const nowSeconds = Math.floor(this.#service.now() / 1000)
    const issued = claims.iat ?? 0
    const age = nowSeconds - issued
    if (Math.abs(age) > DELETE_MAX_AGE_S) throw refuse(`stale request: issued ${age} s ago, at most ${DELETE_MAX_AGE_S} s are accepted`)
    for (const [id, until] of this.#applied) if (until < nowSeconds) this.#applied.delete(id)
    const id = claims.jti ? `jti ${claims.jti}` : `sha256 ${createHash('sha256').update(data).digest('hex')}`
    if (this.#applied.has(id)) throw refuse(`replayed request: ${id} was already applied`)
    const accounts = claims.nats?.accounts
    if (!Array.isArray(accounts) || !accounts.every((a) => typeof a === 'string' && isAccountKey(a))) throw refuse('malformed request')
    if (trust.systemAccount !== '' && accounts.includes(trust.systemAccount)) throw refuse('not allowed to delete system account')
    return { requester, accounts: accounts as string[], issued, jti: claims.jti ?? '', id }
  }

  /**
   * Deletes what the request lists that was issued before it: an account re-created since stays.
   * @throws DeleteRefusal when it was applied meanwhile
   */
  async apply(request: VerifiedDelete, via: PutSource['kind']): Promise<DeleteOutcome> {
    if (this.#applied.has(request.id)) throw new DeleteRefusal(request.requester, `replayed request: ${request.id} was already applied`)
    this.#applied.set(request.id, request.issued + DELETE_MAX_AGE_S)
    let deleted = 0
    const kept: string[] = []
    for (const pubkey of request.accounts) {
      const current = await this.#service.reader.get(pubkey)
      if (current !== null && current.iat >= request.issued) {
        kept.push(`${pubkey} issued ${describeIat(current.iat)}`)
        continue
      }
      const gone = await this.#service.delete(pubkey, { kind: via, detail: `delete request by ${request.requester} (jti ${request.jti})` })
      if (gone !== null) deleted++
    }
    return { deleted, kept }
  }
}

/** The refusal of a request that kept accounts re-created after it, as nats-server words its failures. */
export function keptReason(request: VerifiedDelete, outcome: DeleteOutcome): string {
  return `deleted ${outcome.deleted} accounts; kept ${outcome.kept.length} issued at or after the request (issued ${describeIat(request.issued)}): ${outcome.kept.join(', ')}`
}
