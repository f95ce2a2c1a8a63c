/**
 * The refusals of newest-wins: a JWT older than the stored one, or than the deletion.
 * @module
 */
import { AccountServerError, ErrorCode } from '../errors.js'
import type { AccountJwtMeta } from '../jwt/types.js'

export class StaleJwtError extends AccountServerError {
  constructor(posted: AccountJwtMeta, stored: AccountJwtMeta) {
    super(
      ErrorCode.Stale,
      `the JWT for ${posted.pubkey} was issued at ${isoTime(posted.iat)} (iat ${posted.iat}), before the stored JWT issued at ${isoTime(stored.iat)} (iat ${stored.iat}); the stored JWT stays`,
    )
    this.name = 'StaleJwtError'
  }
}

export class DeletedAccountError extends AccountServerError {
  constructor(posted: AccountJwtMeta, deleted: AccountJwtMeta) {
    super(
      ErrorCode.Deleted,
      `${posted.pubkey} was deleted when it held the JWT issued at ${isoTime(deleted.iat)} (iat ${deleted.iat}); only a JWT issued after that can re-create it`,
    )
    this.name = 'DeletedAccountError'
  }
}

/** Refused for being older than what is (or was) stored, whichever process decided it. */
export function isStale(err: unknown): boolean {
  return err instanceof AccountServerError && (err.code === ErrorCode.Stale || err.code === ErrorCode.Deleted)
}

function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')
}
