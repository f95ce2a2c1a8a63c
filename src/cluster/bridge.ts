/**
 * The worker side of the cluster: writes go to the one writing worker (newest-wins and group
 * commits stay in one process), and invalidations reach every other worker before a write is
 * acknowledged, so no worker serves a stale JWT once a POST has been answered.
 * @module
 */
import { AccountServerError, ErrorCode } from '../errors.js'
import type { PushResult } from '../service/accounts.js'
import type { StoredAccount } from '../jwt/types.js'
import type { PutSource } from '../store/types.js'
import type { Refusal, ToPrimary, ToWorker } from './protocol.js'

/** The leader's refusal with its code, so the HTTP answer is the one the leader would give. */
function refusalError(refusal: Refusal | undefined): AccountServerError {
  return new AccountServerError(
    (refusal?.code ?? ErrorCode.WriterUnavailable) as ErrorCode,
    refusal?.message ?? 'the writing worker did not answer',
  )
}

export class ClusterBridge {
  readonly worker: number
  #next = 1
  readonly #waiting = new Map<number, (text?: string) => void>()
  readonly #commits = new Map<number, { resolve: (r: PushResult) => void; reject: (e: Error) => void }>()
  #onForget: (keys: string[]) => void = () => undefined
  #onStop: () => void = () => undefined
  #metricsJson: () => Promise<unknown> = async () => []
  #onCommit: ((account: StoredAccount, source: PutSource) => Promise<PushResult>) | undefined

  constructor(worker: number) {
    this.worker = worker
    process.on('message', (message: ToWorker) => this.#receive(message))
    this.#send({ t: 'attached' })
  }

  get leader(): boolean {
    return this.worker === 1
  }

  #send(message: ToPrimary): void {
    process.send!(message)
  }

  #request(make: (id: number) => ToPrimary): Promise<string | undefined> {
    const id = this.#next++
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve)
      this.#send(make(id))
    })
  }

  #receive(message: ToWorker): void {
    switch (message.t) {
      case 'announced':
        this.#waiting.get(message.id)?.()
        this.#waiting.delete(message.id)
        break
      case 'metrics':
        this.#waiting.get(message.id)?.(message.text)
        this.#waiting.delete(message.id)
        break
      case 'forget':
        this.#onForget(message.keys)
        this.#send({ t: 'forgot', seq: message.seq })
        break
      case 'metrics-json':
        void this.#metricsJson().then((json) => this.#send({ t: 'metrics-json', seq: message.seq, json }))
        break
      case 'commit':
        void this.#commitHere(message.id, message.account, message.source)
        break
      case 'committed': {
        const waiting = this.#commits.get(message.id)
        this.#commits.delete(message.id)
        if (message.result) waiting?.resolve(message.result)
        else waiting?.reject(refusalError(message.refusal))
        break
      }
      case 'stop':
        this.#onStop()
        break
    }
  }

  /** The leader's side: store what another worker checked, and answer it. */
  async #commitHere(id: number, account: StoredAccount, source: PutSource): Promise<void> {
    if (this.#onCommit === undefined) {
      const refusal = { code: ErrorCode.WriterUnavailable, message: 'the writing worker is still starting' }
      return this.#send({ t: 'committed', id, refusal })
    }
    try {
      const result = await this.#onCommit(account, source)
      this.#send({ t: 'committed', id, result })
    } catch (err) {
      const refusal = err instanceof AccountServerError ? { code: err.code, message: err.message } : { code: ErrorCode.StoreWrite, message: String(err) }
      this.#send({ t: 'committed', id, refusal })
    }
  }

  /** A JWT checked here, stored by the leader. */
  commit(account: StoredAccount, source: PutSource): Promise<PushResult> {
    const id = this.#next++
    return new Promise((resolve, reject) => {
      this.#commits.set(id, { resolve, reject })
      this.#send({ t: 'commit', id, account, source })
    })
  }

  /** In the leader: how commits from the other workers are stored. */
  onCommit(handler: (account: StoredAccount, source: PutSource) => Promise<PushResult>): void {
    this.#onCommit = handler
    this.#send({ t: 'leading' })
  }

  /** Resolves once every other worker has dropped what it cached for these accounts. */
  async announce(keys: string[]): Promise<void> {
    await this.#request((id) => ({ t: 'changed', id, keys }))
  }

  /** What this worker gives the primary when it adds up the metrics of all workers. */
  provideMetrics(json: () => Promise<unknown>): void {
    this.#metricsJson = json
  }

  /** The metrics of every worker, added up by the primary. */
  async metrics(): Promise<string> {
    return (await this.#request((id) => ({ t: 'metrics', id }))) ?? ''
  }

  onForget(handler: (keys: string[]) => void): void {
    this.#onForget = handler
  }

  ready(): void {
    this.#send({ t: 'ready' })
  }

  onStop(handler: () => void): void {
    this.#onStop = handler
  }
}
