/**
 * nats-accounts as a peer of nats-server's NATS-based resolver (protocols.md §2): it answers
 * LOOKUP and PACK like a `full` resolver, syncs by PACK both ways, takes updates on every
 * update subject (checked exactly as a POST, unlike nats-server and the Go server), and answers
 * the management subjects nsc uses (`$SYS.REQ.CLAIMS.UPDATE/LIST/DELETE`).
 * @module
 */
import { RequestError, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node'
import { AccountServerError, describeError } from '../errors.js'
import { decodeJwt } from '../jwt/decode.js'
import { isAccountKey } from '../jwt/nkeys.js'
import type { Logger } from '../log/logger.js'
import { isSameJtiEdit, SAME_JTI_WARNING } from '../accounts/local-writer.js'
import { DeleteRefusal, keptReason, type DeleteRequests } from '../accounts/delete-request.js'
import type { PushResult } from '../accounts/ports.js'
import type { AccountService } from '../accounts/service.js'
import type { ServerIdentity } from './identity.js'
import type { NatsLink } from './link.js'

export type PeerOptions = {
  /** How often to pull a PACK from resolver peers; 0 never. */
  packIntervalMs: number
  /** Applies delete requests (shared with the HTTP API, so a request is applied once whichever way it comes). */
  deletes: DeleteRequests
}
const EMPTY = new Uint8Array(0)

/** The subject of a JWT that may not even verify, to name the account in a refusal. */
function subjectOf(jwt: string): string | undefined {
  try {
    return decodeJwt(jwt).claims.sub
  } catch {
    return undefined
  }
}

export class ResolverPeer {
  readonly #link: NatsLink
  readonly #service: AccountService
  readonly #identity: ServerIdentity
  readonly #logger: Logger
  readonly #options: PeerOptions
  readonly #subs: Subscription[] = []
  #timer: ReturnType<typeof setInterval> | null = null

  constructor(link: NatsLink, service: AccountService, identity: ServerIdentity, logger: Logger, options: PeerOptions) {
    this.#link = link
    this.#service = service
    this.#identity = identity
    this.#logger = logger
    this.#options = options
    link.listen({
      ready: (nc) => this.#subscribe(nc),
      connected: () => this.#pullSafely(),
    })
  }

  #subscribe(nc: NatsConnection): void {
    const on = (subject: string, handler: (msg: Msg) => Promise<void> | void, queue?: string) => {
      this.#subs.push(
        nc.subscribe(subject, {
          queue,
          callback: (err, msg) => {
            if (err) return this.#logger.warn(`subscription ${subject} failed: ${err.message}`)
            // A throw here would reach the NATS client's read loop and end the process.
            new Promise<void>((resolve) => resolve(handler(msg))).catch((e: unknown) =>
              this.#logger.error(`handling ${msg.subject} failed: ${(e as Error).message}`),
            )
          },
        }),
      )
    }
    on('$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP', (msg) => this.#lookup(msg))
    on('$SYS.REQ.CLAIMS.PACK', (msg) => this.#pack(msg), 'responder')
    // The legacy subject relays the Go account server's changes, PACK merges included: sync.
    on('$SYS.ACCOUNT.*.CLAIMS.UPDATE', (msg) => this.#update(msg, msg.subject.split('.')[2], true))
    on('$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE', (msg) => this.#update(msg, msg.subject.split('.')[3], false))
    on('$SYS.REQ.CLAIMS.UPDATE', (msg) => this.#update(msg, undefined, false))
    on('$SYS.REQ.CLAIMS.LIST', (msg) => this.#list(msg))
    on('$SYS.REQ.CLAIMS.DELETE', (msg) => this.#delete(msg))
    if (this.#options.packIntervalMs > 0) {
      this.#timer = setInterval(() => this.#pullSafely(), this.#options.packIntervalMs)
      this.#timer.unref()
    }
    this.#logger.info('connected to NATS for account notifications and resolver sync')
  }

  /** Replies with the raw JWT, no headers; silent on a miss so real holders can answer. */
  async #lookup(msg: Msg): Promise<void> {
    const pubkey = msg.subject.split('.')[3] ?? ''
    if (!msg.reply || !isAccountKey(pubkey)) return
    const entry = await this.#service.lookupLocal(pubkey)
    if (entry === null) return
    if (entry.exp > 0 && entry.exp * 1000 < this.#service.now()) return
    msg.respond(entry.body)
  }

  /** Equal hashes: one empty message. Otherwise one `<pubkey>|<jwt>` per message, then empty. */
  async #pack(msg: Msg): Promise<void> {
    const nc = this.#link.connection
    if (!msg.reply || nc === null) return
    const ours = await this.#service.reader.hash(Math.floor(this.#service.now() / 1000))
    if (msg.data.length === 32 && Buffer.from(ours).equals(msg.data)) {
      nc.publish(msg.reply, EMPTY)
      return
    }
    for await (const line of this.#service.pack(-1)) nc.publish(msg.reply, line)
    nc.publish(msg.reply, EMPTY)
  }

  async #update(msg: Msg, expectedKey: string | undefined, sync: boolean): Promise<void> {
    const jwt = msg.string()
    let account = expectedKey
    let reply: Parameters<ServerIdentity['updateReply']>[1]
    try {
      if (jwt === '') throw new Error('request body is empty')
      const result = await this.#service.push(jwt, {
        expectedKey,
        source: { kind: 'nats', detail: msg.subject, sync },
      })
      account = result.current.pubkey
      this.#logStored(result, msg.subject)
      reply = { message: isSameJtiEdit(result) ? `jwt updated - ${SAME_JTI_WARNING}` : 'jwt updated' }
    } catch (err) {
      account ??= subjectOf(jwt)
      const why = err instanceof AccountServerError ? describeError(err) : (err as Error).message
      this.#logger.warn({ account, subject: msg.subject }, `update refused: ${why}`)
      reply = { error: `jwt update resulted in error - ${why}` }
    }
    if (msg.reply) msg.respond(this.#identity.updateReply(account ?? 'n/a', reply))
  }

  /** An update that arrived over NATS gets its own line, as a push does. */
  #logStored(result: PushResult, source: string): void {
    if (result.outcome !== 'stored') return
    const { pubkey, name, jti } = result.current
    this.#logger.info({ account: pubkey, name, jti, source }, 'account JWT stored from NATS')
  }

  async #list(msg: Msg): Promise<void> {
    if (!msg.reply) return
    const keys: string[] = []
    for await (const line of this.#service.pack(-1)) keys.push(line.slice(0, line.indexOf('|')))
    msg.respond(this.#identity.listReply(keys))
  }

  /** nats-server's rules (operator-signed, `sub == iss`, no system account) plus freshness. */
  async #delete(msg: Msg): Promise<void> {
    let requester = 'unknown'
    const fail = (reason: string) => {
      this.#logger.warn(`delete request by ${requester} refused: ${reason}`)
      if (msg.reply) msg.respond(this.#identity.updateReply(undefined, { error: `delete accounts request by ${requester} failed - ${reason}` }))
    }
    let request
    let outcome
    try {
      request = this.#options.deletes.verify(msg.data)
      requester = request.requester
      outcome = await this.#options.deletes.apply(request, 'nats')
    } catch (err) {
      if (!(err instanceof DeleteRefusal)) throw err
      requester = err.requester
      return fail(err.reason)
    }
    this.#logger.info({ requester, accounts: request.accounts }, `deleted ${outcome.deleted} accounts`)
    if (outcome.kept.length > 0) return fail(keptReason(request, outcome))
    if (msg.reply) msg.respond(this.#identity.updateReply(undefined, { message: `deleted ${outcome.deleted} accounts` }))
  }

  /** A pull from a timer or an event: what fails is logged, never thrown out of the callback. */
  #pullSafely(): void {
    this.pull().catch((err: unknown) => this.#logger.error(`resolver PACK sync failed: ${(err as Error).message}`))
  }

  /**
   * Asks the resolver peers for what this store lacks: a PACK with our hash; one of them answers
   * with every JWT it holds (or nothing, when the hashes match), merged newest-wins.
   */
  async pull(): Promise<void> {
    const nc = this.#link.connection
    if (nc === null) return
    const hash = await this.#service.reader.hash(Math.floor(this.#service.now() / 1000))
    let merged = 0
    try {
      const replies = await nc.requestMany('$SYS.REQ.CLAIMS.PACK', hash, { strategy: 'sentinel', maxWait: 10_000 })
      for await (const reply of replies) {
        const line = reply.string()
        const bar = line.indexOf('|')
        if (bar === -1) continue
        try {
          const result = await this.#service.push(line.slice(bar + 1), {
            expectedKey: line.slice(0, bar),
            source: { kind: 'nats', detail: 'pack', sync: true },
          })
          this.#logStored(result, 'pack')
          if (result.outcome === 'stored') merged++
        } catch (err) {
          const why = err instanceof AccountServerError ? describeError(err) : (err as Error).message
          this.#logger.debug({ account: line.slice(0, bar) }, `not merged from a PACK: ${why}`)
        }
      }
    } catch (err) {
      if (!(err instanceof RequestError && err.isNoResponders())) {
        this.#logger.debug(`PACK request failed: ${(err as Error).message}`)
      }
      return
    }
    if (merged > 0) this.#logger.info(`merged ${merged} account JWTs from a resolver PACK`)
  }

  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer)
    for (const sub of this.#subs) sub.unsubscribe()
  }
}
