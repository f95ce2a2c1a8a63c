/**
 * The signing service of the Go server's `signrequestsubject`: for operators whose signing
 * keys live in another service, a self-signed account JWT is sent as a NATS request on that
 * subject, and the reply is the signed JWT (or a message for the client).
 * @module
 */
import { errors, RequestError } from '@nats-io/transport-node'
import type { SigningService } from '../accounts/ports.js'
import { AccountServerError, ErrorCode } from '../errors.js'
import type { NatsLink } from './link.js'

export class NatsSigning implements SigningService {
  readonly #link: NatsLink
  readonly #subject: string
  readonly #timeoutMs: number

  constructor(link: NatsLink, subject: string, timeoutMs: number) {
    this.#link = link
    this.#subject = subject
    this.#timeoutMs = timeoutMs
  }

  async sign(token: string): Promise<string> {
    const nc = this.#link.connection
    if (nc === null) throw unavailable('nats-server unavailable: NATS is not connected, the signing service cannot be asked')
    try {
      const reply = await nc.request(this.#subject, token, { timeout: this.#timeoutMs })
      return reply.string()
    } catch (err) {
      if (err instanceof RequestError && err.isNoResponders()) {
        throw unavailable(`signing service unavailable: nothing answers on ${this.#subject} (no responders)`, err)
      }
      if (err instanceof errors.TimeoutError || (err as Error).cause instanceof errors.TimeoutError) {
        throw unavailable(`signing service unavailable: no answer on ${this.#subject} within ${this.#timeoutMs} ms`, err)
      }
      throw unavailable(`Try again at a later time. Error: ${(err as Error).message}`, err)
    }
  }
}

function unavailable(message: string, cause?: unknown): AccountServerError {
  return new AccountServerError(ErrorCode.SigningUnavailable, message, { cause })
}
