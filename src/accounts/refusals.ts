/**
 * The refusals of newest-wins (StaleJwtError, DeletedAccountError in errors.ts) told apart by code,
 * as they also come back from the leader worker.
 * @module
 */
import { AccountServerError, ErrorCode } from '../errors.js'

/** Refused for being older than what is (or was) stored, whichever process decided it. */
export function isStale(err: unknown): boolean {
  return err instanceof AccountServerError && (err.code === ErrorCode.Stale || err.code === ErrorCode.Deleted)
}
