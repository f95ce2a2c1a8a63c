/**
 * An answer's head in the bytes node:http writes for it on a kept-alive HTTP/1.1 connection (the
 * handler's headers in order, then `Date`, `Connection` and `Keep-Alive`), for the socket path.
 * The differential test (test/http/socket-path-differential.test.ts) holds the two to one another.
 * @module
 */
import { STATUS_CODES } from 'node:http'

/** The Date value, made once a second as node:http makes its own. */
let date: string | null = null

function httpDate(): string {
  if (date === null) {
    const now = new Date()
    date = now.toUTCString()
    setTimeout(() => (date = null), 1000 - now.getMilliseconds()).unref()
  }
  return date
}

/**
 * `headers`: the flat name, value list given to `writeHead`; it must carry the body's
 * `Content-Length` (or the status have no body), as node:http would otherwise chunk it.
 */
export function frame(status: number, headers: readonly string[], keepAliveTimeoutMs: number): string {
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n`
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`
  head += `Date: ${httpDate()}\r\nConnection: keep-alive\r\n`
  if (keepAliveTimeoutMs > 0) head += `Keep-Alive: timeout=${Math.floor(keepAliveTimeoutMs / 1000)}\r\n`
  return `${head}\r\n`
}
