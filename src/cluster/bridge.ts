/**
 * The worker side of the cluster: writes go to the one writing worker (newest-wins and group
 * commits stay in one process), and invalidations reach every other worker before a write is
 * acknowledged, so no worker serves a stale JWT once a POST has been answered.
 * @module
 */
import type { Invalidation, PushResult, Writer } from '../accounts/ports.js'
import { AccountServerError, ErrorCode } from '../errors.js'
import type { StoredAccount } from '../jwt/types.js'
import type { PutSource } from '../store/types.js'
import type { Refusal, ToPrimary, ToWorker } from './protocol.js'

/** How a worker talks to the primary process (Node's IPC channel; a fake one in tests). */
export type WorkerChannel = {
  send(message: ToPrimary): void
  listen(receive: (message: ToWorker) => void): void
}

/** The IPC channel of a process started by `node:cluster`. */
export function processChannel(): WorkerChannel {
  const { send } = process
  if (send === undefined) throw new AccountServerError(ErrorCode.WriterUnavailable, 'this process has no channel to a primary process')
  return {
    send: (message) => void send.call(process, message),
    listen: (receive) => void process.on('message', receive),
  }
}

/** The leader's refusal with its code, so the HTTP answer is the one the leader would give. */
function refusalError(refusal: Refusal | undefined): AccountServerError {
  return new AccountServerError(
    (refusal?.code ?? ErrorCode.WriterUnavailable) as ErrorCode,
    refusal?.message ?? 'the writing worker did not answer',
  )
}

/**
 * A worker's requests to the primary: commits stored by the leader (`Writer`), changes told to
 * the other workers (`Invalidation`), the metrics of all workers.
 */
export class ClusterBridge implements Writer, Invalidation {
  readonly worker: number
  readonly #channel: WorkerChannel
  readonly #forget: (keys: string[]) => void
  #next = 1
  readonly #waiting = new Map<number, (text?: string) => void>()
  readonly #commits = new Map<number, { resolve: (r: PushResult) => void; reject: (e: Error) => void }>()

  /** `forget` drops what this worker cached of an account another worker stored for it. */
  constructor(channel: WorkerChannel, worker: number, forget: (keys: string[]) => void) {
    this.#channel = channel
    this.worker = worker
    this.#forget = forget
    channel.listen((message) => this.#answered(message))
  }

  /** Worker 1 writes, answers on the NATS resolver subjects and imports at start. */
  get leader(): boolean {
    return this.worker === 1
  }

  #request(make: (id: number) => ToPrimary): Promise<string | undefined> {
    const id = this.#next++
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve)
      this.#channel.send(make(id))
    })
  }

  #answered(message: ToWorker): void {
    switch (message.t) {
      case 'announced':
        this.#waiting.get(message.id)?.()
        this.#waiting.delete(message.id)
        break
      case 'metrics':
        this.#waiting.get(message.id)?.(message.text)
        this.#waiting.delete(message.id)
        break
      case 'committed': {
        const waiting = this.#commits.get(message.id)
        this.#commits.delete(message.id)
        if (message.result) waiting?.resolve(message.result)
        else waiting?.reject(refusalError(message.refusal))
        break
      }
    }
  }

  /** A JWT checked here, stored by the leader. */
  async commit(account: StoredAccount, source: PutSource): Promise<PushResult> {
    const id = this.#next++
    const result = await new Promise<PushResult>((resolve, reject) => {
      this.#commits.set(id, { resolve, reject })
      this.#channel.send({ t: 'commit', id, account, source })
    })
    // Not cached from here: the writer may have stored a newer version since it answered (its
    // "forget" can arrive before this answer is handled), so the next read asks the store.
    if (result.outcome === 'stored') this.#forget([account.pubkey])
    return result
  }

  /** Resolves once every other worker has dropped what it cached for these accounts. */
  async announce(keys: string[] | null): Promise<void> {
    await this.#request((id) => ({ t: 'changed', id, keys }))
  }

  /** The metrics of every worker, added up by the primary. */
  async metrics(): Promise<string> {
    return (await this.#request((id) => ({ t: 'metrics', id }))) ?? ''
  }

  ready(): void {
    this.#channel.send({ t: 'ready' })
  }
}

/** What a worker does for the primary and the other workers. */
export type WorkerHandlers = {
  /** Another process changed these accounts (null: any of them). */
  forget(keys: string[] | null): void
  /** This worker's metrics, for the primary to add up. */
  metricsJson(): Promise<unknown>
  stop(): void
  /** In the leader: stores what the other workers checked. */
  writer?: Writer
}

/**
 * Starts taking part in invalidations (and, with a writer, storing the others' commits): from
 * now on the primary waits for this worker before a write is acknowledged.
 */
export function joinCluster(channel: WorkerChannel, handlers: WorkerHandlers): void {
  channel.listen((message) => {
    switch (message.t) {
      case 'forget':
        handlers.forget(message.keys)
        channel.send({ t: 'forgot', seq: message.seq })
        break
      case 'metrics-json':
        void handlers.metricsJson().then((json) => channel.send({ t: 'metrics-json', seq: message.seq, json }))
        break
      case 'commit':
        void commitHere(channel, handlers.writer, message.id, message.account, message.source)
        break
      case 'stop':
        handlers.stop()
        break
    }
  })
  channel.send({ t: 'attached' })
  if (handlers.writer !== undefined) channel.send({ t: 'leading' })
}

/** The leader's side: store what another worker checked, and answer it. */
async function commitHere(channel: WorkerChannel, writer: Writer | undefined, id: number, account: StoredAccount, source: PutSource): Promise<void> {
  if (writer === undefined) {
    const refusal = { code: ErrorCode.WriterUnavailable, message: 'the writing worker is still starting' }
    return channel.send({ t: 'committed', id, refusal })
  }
  try {
    const result = await writer.commit(account, source)
    channel.send({ t: 'committed', id, result })
  } catch (err) {
    const refusal = err instanceof AccountServerError ? { code: err.code, message: err.message } : { code: ErrorCode.StoreWrite, message: String(err) }
    channel.send({ t: 'committed', id, refusal })
  }
}
