/**
 * The primary process of `--workers N`: forks the workers (the first one alone, so a -primary
 * import and the store set-up happen once), restarts a worker that dies, relays writes and
 * invalidations, and stops them all on SIGINT/SIGTERM (SIGHUP is passed on: each reloads).
 * @module
 */
import cluster, { type Worker } from 'node:cluster'
import { AggregatorRegistry } from 'prom-client'
import { ErrorCode } from '../errors.js'
import { flagName, NODE_FLAGS } from '../node-flags.js'
import type { Logger } from '../log/logger.js'
import { WORKER_ENV, type ToPrimary, type ToWorker } from './protocol.js'

/** How long the primary waits for a worker's metrics before adding up the others. */
const METRICS_WAIT_MS = 2000
/** How long a write waits for a restarting writer before it is answered "retry" (503). */
const WRITER_WAIT_MS = 5000

/**
 * The node flags of a worker: its primary's, and the memory settings of `NODE_FLAGS` the user
 * did not set (node flags, NODE_OPTIONS) some other way.
 */
export function workerExecArgv(execArgv: readonly string[], nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = [...execArgv, nodeOptions]
  return [...execArgv, ...NODE_FLAGS.filter((flag) => !given.some((arg) => arg.includes(flagName(flag))))]
}

export async function runPrimary(count: number, logger: Logger): Promise<number> {
  const workers = new Map<number, Worker>()
  /** Invalidations on their way, by sequence number: who asked, which workers still owe. */
  const pending = new Map<number, { origin: Worker; id: number; left: Set<number> }>()
  /** Writes relayed to the leader, by sequence number: who asked, under which id. */
  const commits = new Map<number, { origin: Worker; id: number }>()
  /** Worker 1 once it has said it stores writes (a restarted one is not ready at once). */
  let writer: Worker | null = null
  /** Writes that arrived while there was no writer, until one is back or the wait ends. */
  const held = new Set<{ origin: Worker; commit: Extract<ToPrimary, { t: 'commit' }>; timer: NodeJS.Timeout }>()
  let seq = 0
  let stopping = false

  const send = (worker: Worker, message: ToWorker) => {
    // A worker killed a moment ago can still look connected: the write fails (EPIPE), which
    // without a callback is an 'error' event that ends this process. Its exit answers what it owed.
    if (worker.isConnected()) worker.send(message, undefined, (err) => err && logger.debug(`worker ${worker.id}: ${err.message}`))
  }

  /** A write not made: the client is told to retry (503), never left waiting. */
  const unavailable = (origin: Worker, id: number, why: string) =>
    send(origin, { t: 'committed', id, refusal: { code: ErrorCode.WriterUnavailable, message: why } })

  function relay(origin: Worker, commit: Extract<ToPrimary, { t: 'commit' }>) {
    if (writer === null || !writer.isConnected()) {
      const entry = {
        origin,
        commit,
        timer: setTimeout(() => {
          held.delete(entry)
          unavailable(origin, commit.id, `the writing worker did not come back within ${WRITER_WAIT_MS / 1000} s`)
        }, WRITER_WAIT_MS),
      }
      held.add(entry)
      return
    }
    const n = ++seq
    commits.set(n, { origin, id: commit.id })
    send(writer, { t: 'commit', id: n, account: commit.account, source: commit.source })
  }

  function releaseHeld(why: string | null) {
    for (const entry of held) {
      clearTimeout(entry.timer)
      held.delete(entry)
      if (why === null) relay(entry.origin, entry.commit)
      else unavailable(entry.origin, entry.commit.id, why)
    }
  }

  function finish(n: number) {
    const entry = pending.get(n)
    if (entry && entry.left.size === 0) {
      pending.delete(n)
      send(entry.origin, { t: 'announced', id: entry.id })
    }
  }

  function handle(worker: Worker, message: ToPrimary) {
    switch (message.t) {
      case 'changed': {
        const n = ++seq
        const others = [...workers.entries()]
          .filter(([index, w]) => w !== worker && attached.has(index) && w.isConnected())
          .map(([, w]) => w)
        pending.set(n, { origin: worker, id: message.id, left: new Set(others.map((w) => w.id)) })
        for (const other of others) send(other, { t: 'forget', seq: n, keys: message.keys })
        finish(n)
        break
      }
      case 'forgot':
        if (pending.get(message.seq)?.left.delete(worker.id)) finish(message.seq)
        break
      case 'attached':
      case 'ready':
        break
      case 'leading':
        if (workers.get(1) === worker) {
          writer = worker
          releaseHeld(null)
        }
        break
      case 'commit':
        // Every write goes to worker 1, the one writer; the answer goes back to the asker.
        relay(worker, message)
        break
      case 'committed': {
        const asked = commits.get(message.id)
        commits.delete(message.id)
        if (asked) send(asked.origin, { ...message, id: asked.id })
        break
      }
      case 'metrics':
        void gatherMetrics().then((text) => send(worker, { t: 'metrics', id: message.id, text }))
        break
      case 'metrics-json':
        gathering.get(message.seq)?.(message.json)
        break
    }
  }

  /** Workers that got as far as serving: only those are restarted when they die. */
  const served = new Set<number>()
  /** Workers whose bridge listens: invalidations go to (and wait for) exactly these. */
  const attached = new Set<number>()

  const gathering = new Map<number, (json: unknown) => void>()

  /** Every attached worker's metrics, added up (a worker that does not answer in time is left out). */
  async function gatherMetrics(): Promise<string> {
    const asked = [...workers.entries()].filter(([index, w]) => attached.has(index) && w.isConnected())
    const parts = await Promise.all(
      asked.map(([, w]) => {
        const n = ++seq
        return new Promise<unknown>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), METRICS_WAIT_MS)
          gathering.set(n, (json) => {
            clearTimeout(timer)
            resolve(json)
          })
          send(w, { t: 'metrics-json', seq: n })
        }).finally(() => gathering.delete(n))
      }),
    )
    const answered = parts.filter((p): p is object[] => Array.isArray(p))
    return AggregatorRegistry.aggregate(answered).metrics()
  }

  function fork(index: number): Promise<void> {
    const worker = cluster.fork({ [WORKER_ENV]: String(index) })
    workers.set(index, worker)
    worker.on('message', (message: ToPrimary) => {
      if (message.t === 'attached') attached.add(index)
      handle(worker, message)
    })
    worker.on('exit', (code, signal) => {
      workers.delete(index)
      attached.delete(index)
      // What the dead worker owed must not block the others.
      for (const [n, entry] of pending) {
        if (entry.origin === worker) pending.delete(n)
        else if (entry.left.delete(worker.id)) finish(n)
      }
      if (index === 1) {
        writer = null
        // Writes the leader took but never answered: the askers must not wait forever.
        for (const [n, asked] of commits) {
          commits.delete(n)
          unavailable(asked.origin, asked.id, 'the writing worker stopped before it answered')
        }
      }
      if (stopping) return releaseHeld('the server is stopping')
      if (!served.has(index)) {
        // It could not start (bad port, bad store...): the same would happen again.
        logger.error(`worker ${index} failed to start (${signal ?? code})`)
        if (index === 1) releaseHeld('the writing worker cannot start')
        return
      }
      logger.error(`worker ${index} exited (${signal ?? code}); starting a new one`)
      served.delete(index)
      void fork(index)
    })
    return new Promise((resolve) => {
      const onReady = (message: ToPrimary) => {
        if (message.t === 'ready') {
          served.add(index)
          worker.off('message', onReady)
          resolve()
        }
      }
      worker.on('message', onReady)
      worker.once('exit', () => resolve())
    })
  }

  // Signals are handled from the start: a stop during start-up stops what was started.
  let stopped: (code: number) => void = () => undefined
  const done = new Promise<number>((resolve) => (stopped = resolve))
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    logger.info(`received ${signal}, stopping ${workers.size} workers`)
    let left = workers.size
    if (left === 0) stopped(0)
    for (const [index, worker] of workers) {
      worker.once('exit', () => {
        if (--left === 0) stopped(0)
      })
      // A worker still starting has no bridge to hear "stop" yet: a signal reaches it anyway.
      if (attached.has(index)) send(worker, { t: 'stop' })
      else worker.process.kill('SIGTERM')
    }
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  process.on('SIGHUP', () => {
    for (const worker of workers.values()) worker.process.kill('SIGHUP')
  })

  logger.info(`starting ${count} workers`)
  cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv) })
  await fork(1)
  if (served.size === 1 && !stopping) await Promise.all(Array.from({ length: count - 1 }, (_, i) => fork(i + 2)))
  if (!stopping && served.size < count) {
    stopping = true
    for (const worker of workers.values()) worker.kill()
    return 1
  }
  if (!stopping) logger.info(`all ${count} workers are serving`)
  return done
}
