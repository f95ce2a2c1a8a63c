/**
 * The answer to a push (`POST /jwt/v1/accounts/<key>`), shared by the route and the fast path:
 * the same checks, log line, status and body whichever serves it.
 * @module
 */
import type { Logger } from 'pino'
import { AccountServerError, StoreError } from '../errors.js'
import { isSameJtiEdit, SAME_JTI_WARNING } from '../accounts/local-writer.js'
import type { AccountOverview } from '../accounts/overview.js'
import type { AccountService } from '../accounts/service.js'
import { rejection, type Answer } from './account-response.js'

/** @throws what is not an AccountServerError (an internal error: the caller answers 500) */
export async function answerPush(
  service: AccountService,
  logger: Logger,
  pubkey: string,
  token: string,
  client: string | undefined,
  overview?: AccountOverview,
): Promise<Answer> {
  let result
  try {
    result = await service.push(token, { expectedKey: pubkey, source: { kind: 'http', detail: client } })
  } catch (err) {
    if (!(err instanceof AccountServerError)) throw err
    // The store failing is this server's fault (500), not a verdict on the JWT.
    if (err instanceof StoreError) logger.error({ account: pubkey, client, code: err.code }, `push failed, nothing stored: ${err.message}`)
    else logger.info({ account: pubkey, client, verdict: 'rejected', code: err.code }, err.message)
    return rejection(err)
  }
  const { notification } = result
  const findings = (await overview?.pushLines(pubkey)) ?? []
  logger.info(
    { account: pubkey, name: result.current.name, client, jti: result.current.jti, verdict: result.outcome, notification: notification?.summary, findings: findings.length > 0 ? findings.length : undefined },
    'account JWT push',
  )
  // nsc prints every line of a non-empty body; the cross-account findings come after the lines the Go-compatible clients know.
  const lines = [notification?.summary, isSameJtiEdit(result) ? SAME_JTI_WARNING : undefined, ...findings].filter((l) => l !== undefined)
  if (lines.length === 0) return { status: 200, body: null, headers: [] }
  // Stored but not announced (NATS down) is a warning for nsc (202), not a failure.
  return {
    status: notification?.sent === false ? 202 : 200,
    body: lines.map((line) => `${line}\n`).join(''),
    headers: ['Content-Type', 'text/plain; charset=utf-8'],
  }
}
