/**
 * What the fleet scan found: the servers, and for each account in use the servers that run the
 * stored version and those that run another one. In-sync servers are kept as a list of ids
 * (shared strings), so 100,000 accounts on 50 servers stay in tens of megabytes.
 * @module
 */
import type { AccountOnServer, FleetServer, FleetView } from '../accounts/ports.js'
import type { Applied } from './requests.js'

export type AccountEntry = {
  /** The stored version when the servers were asked (null: not stored, or deleted). */
  stored: Applied | null
  /** Ids of the servers that run the stored version. */
  current: string[]
  /** Servers that run another version, by id (null: none). */
  other: Map<string, Applied> | null
  /** When the in-sync servers were last asked (ms since the epoch). */
  checkedAt: number
}

/** The server runs an older version than stored (or another one issued in the same second). */
export function isOlder(applied: Applied, stored: Applied | null): boolean {
  return stored !== null && applied.jti !== stored.jti && applied.iat <= stored.iat
}

export function isAhead(applied: Applied, stored: Applied | null): boolean {
  return stored !== null && applied.jti !== stored.jti && applied.iat > stored.iat
}

export class FleetSnapshot implements FleetView {
  readonly #servers = new Map<string, FleetServer>()
  readonly #accounts = new Map<string, AccountEntry>()
  /** Drifted accounts and the ids of the servers that run them older. */
  readonly #drifted = new Map<string, string[]>()

  servers(): FleetServer[] {
    return [...this.#servers.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
  }

  account(pubkey: string): AccountOnServer[] {
    const entry = this.#accounts.get(pubkey)
    return this.servers().map(({ name, id }) => {
      const applied = entry?.other?.get(id) ?? (entry?.stored && entry.current.includes(id) ? entry.stored : null)
      return {
        server: name,
        serverId: id,
        jti: applied?.jti ?? null,
        drifted: applied !== null && isOlder(applied, entry!.stored),
        ahead: applied !== null && isAhead(applied, entry!.stored),
      }
    })
  }

  drifted(): { pubkey: string; servers: string[] }[] {
    return [...this.#drifted]
      .map(([pubkey, ids]) => ({ pubkey, servers: ids.filter((id) => this.#servers.has(id)).map((id) => this.#servers.get(id)!.name).sort() }))
      .filter((drift) => drift.servers.length > 0)
  }

  /** Accounts that at least one known server runs in an older version than stored. */
  get driftedCount(): number {
    return this.drifted().length
  }

  /** The servers that answered a census: those that did not are gone (stopped, or cut off). */
  replaceServers(servers: FleetServer[]): void {
    this.#servers.clear()
    for (const server of servers) this.#servers.set(server.id, server)
  }

  /** A server event (STATSZ): known servers get a new `lastSeen`, new ones join. */
  seen(server: FleetServer): void {
    this.#servers.set(server.id, server)
  }

  /** A server that announced its shutdown. */
  gone(serverId: string): void {
    this.#servers.delete(serverId)
  }

  entry(pubkey: string): AccountEntry | undefined {
    return this.#accounts.get(pubkey)
  }

  record(pubkey: string, entry: AccountEntry): void {
    this.#accounts.set(pubkey, entry)
    const older = [...(entry.other ?? [])].filter(([, applied]) => isOlder(applied, entry.stored)).map(([id]) => id)
    if (older.length > 0) this.#drifted.set(pubkey, older)
    else this.#drifted.delete(pubkey)
  }

  /** Forgets the accounts no server holds any more. */
  retain(inUse: ReadonlySet<string>): void {
    for (const pubkey of this.#accounts.keys()) {
      if (!inUse.has(pubkey)) {
        this.#accounts.delete(pubkey)
        this.#drifted.delete(pubkey)
      }
    }
  }

  /** The ids of the servers known to hold `pubkey`. */
  holders(pubkey: string): string[] {
    const entry = this.#accounts.get(pubkey)
    return entry ? [...entry.current, ...(entry.other?.keys() ?? [])] : []
  }

  /** The accounts server `serverId` was known to hold. */
  heldBy(serverId: string): string[] {
    const held: string[] = []
    for (const [pubkey, entry] of this.#accounts) {
      if (entry.current.includes(serverId) || entry.other?.has(serverId)) held.push(pubkey)
    }
    return held
  }

  get accountsInUse(): number {
    return this.#accounts.size
  }
}
