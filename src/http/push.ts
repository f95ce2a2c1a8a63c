/**
 * The answer to a push (`POST /jwt/v1/accounts/<key>`), shared by the route and the fast path:
 * the same checks, log line, status and body whichever serves it.
 * @module
 */
import type { Logger } from 'pino'
import { AccountServerError } from '../errors.js'
import type { AccountService } from '../service/accounts.js'
import { errorAnswer } from './status.js'

export type PushAnswer = { status: number; body: string | null; headers: Record<string, string> }

/** @throws what is not an AccountServerError (an internal error: the caller answers 500) */
export async function answerPush(
  service: AccountService,
  logger: Logger,
  pubkey: string,
  token: string,
  client: string | undefined,
): Promise<PushAnswer> {
  let result
  try {
    result = await service.push(token, { expectedKey: pubkey, source: { kind: 'http', detail: client } })
  } catch (err) {
    if (!(err instanceof AccountServerError)) throw err
    logger.info({ account: pubkey, client, verdict: 'rejected', code: err.code }, err.message)
    return rejection(err)
  }
  const { notification } = result
  logger.info(
    { account: pubkey, client, jti: result.current.jti, verdict: result.outcome, notification: notification?.summary },
    'account JWT push',
  )
  if (notification === undefined) return { status: 200, body: null, headers: {} }
  // Stored but not announced (NATS down) is a warning for nsc (202), not a failure.
  return {
    status: notification.sent ? 200 : 202,
    body: `${notification.summary}\n`,
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
  }
}

export function rejection(err: AccountServerError): PushAnswer {
  return errorAnswer(err)
}
