/**
 * HTTP/1.1 over a raw socket, for attacks a client library would not perform (silent or
 * half-sent heads, endless bodies, not reading the answer).
 */
import { connect, type Socket } from 'node:net'

export type Seen = {
  /** Everything received so far (Latin-1: one character per byte). */
  readonly text: string
  /** The last bytes received, cheap to test while a large answer arrives. */
  tail: string
  ended: boolean
  error: Error | null
  closed: Promise<void>
}

/** A raw connection that records what arrives, whether the server ended it, and any error. */
export async function open(port: number): Promise<{ socket: Socket; seen: Seen }> {
  const socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  const chunks: Buffer[] = []
  const seen: Seen = {
    get text() {
      return Buffer.concat(chunks).toString('latin1')
    },
    tail: '',
    ended: false,
    error: null,
    closed: new Promise<void>((resolve) => socket.once('close', () => resolve())),
  }
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk)
    seen.tail = (seen.tail + chunk.subarray(-16).toString('latin1')).slice(-16)
  })
  socket.on('end', () => (seen.ended = true))
  socket.on('error', (err) => (seen.error = err))
  return { socket, seen }
}

/** Head and body of the first response in `text`, once it is complete (Content-Length or chunked). */
export function response(text: string): { head: string; body: string } | null {
  const end = text.indexOf('\r\n\r\n')
  if (end === -1) return null
  const head = text.slice(0, end)
  let rest = text.slice(end + 4)
  if (!/\r\ntransfer-encoding: chunked/i.test(head)) {
    const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0)
    return rest.length >= length ? { head, body: rest.slice(0, length) } : null
  }
  let body = ''
  for (;;) {
    const line = rest.indexOf('\r\n')
    if (line === -1) return null
    const size = parseInt(rest.slice(0, line), 16)
    if (rest.length < line + 2 + size + 2) return null
    if (size === 0) return { head, body }
    body += rest.slice(line + 2, line + 2 + size)
    rest = rest.slice(line + 2 + size + 2)
  }
}
