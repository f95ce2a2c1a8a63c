/**
 * How this server presents itself in replies on resolver subjects: the `server` object of
 * nats-server's reply envelope (nsc requires a non-empty `server.name`), with a rising `seq`.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { Prefix } from '@nats-io/nkeys'
import { Codec } from '@nats-io/nkeys/lib/codec.js'
import { VERSION } from '../version.js'

export type ServerInfo = {
  name: string
  host: string
  id: string
  ver: string
  seq: number
  jetstream: false
  time: string
}

export class ServerIdentity {
  readonly name = 'nats-accounts'
  readonly host = hostname()
  /** A server-type nkey, new at every start, as nats-server's own ids are. */
  readonly id = new TextDecoder().decode(Codec.encode(Prefix.Server, randomBytes(32)))
  #seq = 0

  info(): ServerInfo {
    return {
      name: this.name,
      host: this.host,
      id: this.id,
      ver: VERSION,
      seq: ++this.#seq,
      jetstream: false,
      time: new Date().toISOString(),
    }
  }

  /** nats-server's `respondToUpdate` envelope: `data` on success, `error` on failure. */
  updateReply(account: string | undefined, outcome: { message: string } | { error: string }): string {
    const body = 'message' in outcome
      ? { data: { ...(account ? { account } : {}), code: 200, message: outcome.message } }
      : { error: { ...(account ? { account } : {}), code: 500, description: outcome.error } }
    return JSON.stringify({ ...body, server: this.info() })
  }

  /** The `$SYS.REQ.CLAIMS.LIST` reply: `data` is always an array of strings (nsc relies on it). */
  listReply(accounts: readonly string[]): string {
    return JSON.stringify({ server: this.info(), data: accounts })
  }
}
