/**
 * What the fleet scan asks nats-server (2.9 and later) as a user of the system account:
 * - `$SYS.REQ.SERVER.PING`: every server answers its STATSZ, whose `server` block names it
 *   (`name`, `id`, `ver`, `cluster`, `jetstream`);
 * - `$SYS.REQ.SERVER.<id>.ACCOUNTZ` with `{}`: that server lists the accounts it holds
 *   (`data.accounts`, including `$G`), one server at a time: 100,000 keys make a 6 MB answer, and
 *   50 of them at once (`$SYS.REQ.SERVER.PING.ACCOUNTZ`) would overflow the client's pending
 *   limit on the server (64 MB), which then cuts the connection as a slow consumer;
 * - `$SYS.REQ.SERVER.<id>.ACCOUNTZ` with `{"account": key}`: that server alone answers with
 *   `data.account_detail.decoded_jwt` (the JWT it applied), or `error` "Account … does not exist"
 *   when it does not hold the account. nats-server does not load an account to answer this.
 * @module
 */
import type { NatsConnection } from '@nats-io/transport-node'
import type { FleetServer } from '../accounts/ports.js'

/**
 * Shapes, not checksums: the lists come from nats-server itself, and checking the CRC of 5
 * million keys (50 servers of 100,000) would cost minutes. A server id goes into a subject, so
 * it must be a token without dots, wildcards or spaces: nats-server's ids are server nkeys.
 */
const ACCOUNT_KEY = /^A[A-Z2-7]{55}$/
const SERVER_ID = /^N[A-Z2-7]{55}$/

/** The version of an account a server applied. */
export type Applied = { jti: string; iat: number }

type ServerBlock = { name?: unknown; id?: unknown; ver?: unknown; cluster?: unknown; jetstream?: unknown }
type Reply = {
  server?: ServerBlock
  data?: { accounts?: unknown; account_detail?: { decoded_jwt?: { jti?: unknown; iat?: unknown } } } | null
  error?: { description?: unknown }
}

function parse(body: string): Reply | null {
  try {
    const reply = JSON.parse(body) as unknown
    return typeof reply === 'object' && reply !== null ? (reply as Reply) : null
  } catch {
    return null
  }
}

/** The server that sent a system-account reply or event, or null when it names none. */
export function serverOf(reply: Reply | null, seenAt: number): FleetServer | null {
  const block = reply?.server
  if (typeof block?.id !== 'string' || !SERVER_ID.test(block.id)) return null
  return {
    name: typeof block.name === 'string' && block.name !== '' ? block.name : block.id,
    id: block.id,
    version: typeof block.ver === 'string' ? block.ver : '',
    cluster: typeof block.cluster === 'string' && block.cluster !== '' ? block.cluster : null,
    jetstream: block.jetstream === true,
    lastSeen: seenAt,
  }
}

/** The server named by an event's payload (STATSZ events carry the same block as PING replies). */
export function serverOfEvent(body: string): FleetServer | null {
  return serverOf(parse(body), Date.now())
}

/**
 * Every server that answers a STATSZ ping within the window: the gathering stops `stallMs`
 * after the last answer (the number of servers is what this finds out).
 */
export async function pingServers(nc: NatsConnection, maxWaitMs: number, stallMs: number): Promise<FleetServer[]> {
  const found = new Map<string, FleetServer>()
  const replies = await nc.requestMany('$SYS.REQ.SERVER.PING', '', { strategy: 'stall', stall: stallMs, maxWait: maxWaitMs })
  for await (const reply of replies) {
    const server = serverOf(parse(reply.string()), Date.now())
    if (server !== null) found.set(server.id, server)
  }
  return [...found.values()]
}

/**
 * The account keys server `serverId` holds (null: its answer is not a list).
 * @throws the client's error when the server does not answer in time
 */
export async function accountsHeld(nc: NatsConnection, serverId: string, timeoutMs: number): Promise<string[] | null> {
  const reply = await nc.request(`$SYS.REQ.SERVER.${serverId}.ACCOUNTZ`, '{}', { timeout: timeoutMs })
  const accounts = parse(reply.string())?.data?.accounts
  if (!Array.isArray(accounts)) return null
  return accounts.filter((key): key is string => typeof key === 'string' && ACCOUNT_KEY.test(key))
}

/**
 * The version of `pubkey` that server `serverId` applied; null when it does not hold it.
 * @throws the client's error when the server does not answer in time
 */
export async function appliedVersion(nc: NatsConnection, serverId: string, pubkey: string, timeoutMs: number): Promise<Applied | null> {
  const reply = await nc.request(`$SYS.REQ.SERVER.${serverId}.ACCOUNTZ`, JSON.stringify({ account: pubkey }), { timeout: timeoutMs })
  const claims = parse(reply.string())?.data?.account_detail?.decoded_jwt
  if (typeof claims?.jti !== 'string') return null
  return { jti: claims.jti, iat: typeof claims.iat === 'number' ? claims.iat : 0 }
}
