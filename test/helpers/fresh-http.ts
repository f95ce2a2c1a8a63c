/**
 * A request on a connection of its own (no keep-alive agent): with --workers, any worker may
 * answer it, which is what coherence tests across workers need.
 */
import { get, request, type IncomingMessage } from 'node:http'

/** GET `url`, or POST `body` to it, on a new connection. */
export function fresh(url: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const done = (res: IncomingMessage) => {
      let text = ''
      res.on('data', (chunk: Buffer) => (text += chunk.toString()))
      res.on('end', () => resolve({ status: res.statusCode!, text }))
    }
    const req = body === undefined ? get(url, { agent: false }, done) : request(url, { method: 'POST', agent: false }, done)
    req.on('error', reject)
    req.end(body)
  })
}
