/**
 * `-V`: one TRC line per request once it is answered (method, path, status, body bytes, ms),
 * whichever path served it (the fast path or the app), as the Go server traced every request.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void

/** Wraps the listener; off trace level a request costs one level check. */
export function traceRequests(logger: Logger, listener: RequestListener): RequestListener {
  return (req, res) => {
    if (logger.isLevelEnabled('trace')) trace(logger, req, res)
    listener(req, res)
  }
}

function trace(logger: Logger, req: IncomingMessage, res: ServerResponse): void {
  const started = performance.now()
  const bodyBytes = countBodyBytes(res)
  res.once('close', () => {
    const fields = {
      method: req.method,
      path: req.url,
      // Left out when the client went away before any answer.
      status: res.headersSent ? res.statusCode : undefined,
      // Node sends no body for HEAD, whatever the handler passed.
      bytes: req.method === 'HEAD' ? 0 : bodyBytes(),
      ms: Math.round((performance.now() - started) * 100) / 100,
    }
    // A response cut off before its end (client gone, server stopping) says so.
    logger.trace(res.writableFinished ? fields : { ...fields, aborted: true }, 'request')
  })
}

/** Counts what the handler writes as the body (both paths write through write/end). */
function countBodyBytes(res: ServerResponse): () => number {
  let bytes = 0
  const count = (chunk: unknown, encoding: unknown) => {
    if (typeof chunk === 'string') bytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
    else if (chunk instanceof Uint8Array) bytes += chunk.byteLength
  }
  const write = res.write.bind(res) as (...args: unknown[]) => boolean
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    count(chunk, rest[0])
    return write(chunk, ...rest)
  }) as ServerResponse['write']
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    count(chunk, rest[0])
    return end(chunk, ...rest)
  }) as ServerResponse['end']
  return () => bytes
}
