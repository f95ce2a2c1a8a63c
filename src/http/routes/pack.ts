/**
 * `GET /jwt/v1/pack?max=N`: every unexpired account as `<pubkey>|<jwt>` lines joined by "\n"
 * (no trailing newline), in pubkey order. Used by replicas (`-primary`) and for exports.
 * The body is streamed from the store as the client reads it, and few packs stream at once: built
 * in memory, concurrent packs multiply the RSS (figures in docs/design-measurements.md).
 * @module
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import { Hono } from 'hono'
import type { Logger } from 'pino'
import { AccountServerError, ErrorCode } from '../../errors.js'
import type { Metrics } from '../../metrics.js'
import type { AccountService } from '../../accounts/service.js'
import { TEXT_HEADERS } from '../status.js'

export type PackRoutesOptions = {
  service: AccountService
  logger: Logger
  metrics?: Metrics
  /** Default and cap for `max`; a negative `max` bypasses it, as in the Go server. @default 10000 */
  maxPack?: number
  /** Packs streaming at once; more wait for a turn. @default 2 */
  streams?: number
  /** Packs waiting for a turn; more are refused with 503. @default 8 */
  waiting?: number
}

/** Lines are sent in chunks of about this size. */
const CHUNK_CHARS = 64 * 1024

/** Go's `strconv.Atoi`: optional sign, decimal digits, 64-bit range. */
function parseGoInt(text: string): number | null {
  if (!/^[+-]?\d+$/.test(text)) return null
  const value = BigInt(text)
  if (value > 9223372036854775807n || value < -9223372036854775808n) return null
  return Number(value)
}

/** At most `streams` holders at once, up to `waiting` more in line (first come, first served). */
function turns(streams: number, waiting: number, report: (streaming: number, waiting: number) => void) {
  let streaming = 0
  const line: Array<() => void> = []
  const release = () => {
    const next = line.shift()
    if (next === undefined) streaming--
    else next()
    report(streaming, line.length)
  }
  /** Resolves with the release function once it is the caller's turn; null when the line is full. */
  return async (): Promise<(() => void) | null> => {
    if (streaming < streams) streaming++
    else if (line.length < waiting) {
      const myTurn = new Promise<void>((resolve) => line.push(resolve))
      report(streaming, line.length)
      await myTurn
    } else return null
    report(streaming, line.length)
    let released = false
    return () => {
      if (!released) release()
      released = true
    }
  }
}

/**
 * The rest of a pack as a byte stream pulled by the response (Node's back-pressure reaches the
 * store reads). `first` is the first line, already read.
 */
function packBody(first: string, lines: AsyncGenerator<string>, done: () => void, logger: Logger): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  let pending = first
  return new ReadableStream({
    async pull(controller) {
      // While the client reads as fast as it is written, nothing else would wait for I/O:
      // each chunk waits a turn of the event loop, so resolver GETs are served in between.
      await nextTurn()
      let chunk = pending
      pending = ''
      try {
        while (chunk.length < CHUNK_CHARS) {
          const next = await lines.next()
          if (next.done) {
            if (chunk !== '') controller.enqueue(encoder.encode(chunk))
            controller.close()
            done()
            return
          }
          chunk += `\n${next.value}`
        }
      } catch (err) {
        // The 200 is sent: the client sees the body cut short (no final chunk).
        logger.error(`pack stream failed: ${(err as Error).message}`)
        done()
        controller.error(err)
        return
      }
      controller.enqueue(encoder.encode(chunk))
    },
    async cancel() {
      done()
      await lines.return(undefined)
    },
  })
}

export function packRoutes(options: PackRoutesOptions): Hono {
  const { service, logger, metrics } = options
  const cap = options.maxPack ?? 10_000
  const turn = turns(options.streams ?? 2, options.waiting ?? 8, (streaming, waiting) => metrics?.packStreams(streaming, waiting))
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
    const release = await turn()
    if (release === null) {
      return new Response('too many pack requests at once, retry in a second\n', {
        status: 503,
        headers: { ...TEXT_HEADERS, 'Retry-After': '1' },
      })
    }
    // A client gone while waiting or reading gives its turn back.
    const { signal } = c.req.raw
    if (signal.aborted) {
      release()
      return new Response(null, { status: 503 })
    }
    signal.addEventListener('abort', release, { once: true })
    const lines = service.pack(limit)
    let first: IteratorResult<string>
    try {
      first = await lines.next()
    } catch (err) {
      release()
      throw err
    }
    if (first.done) {
      release()
      return new Response('', { headers: { 'Content-Type': 'text/plain' } })
    }
    return new Response(packBody(first.value, lines, release, logger), { headers: { 'Content-Type': 'text/plain' } })
  })
  return app
}
