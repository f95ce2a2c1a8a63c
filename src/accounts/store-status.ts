/**
 * Logs when a store that lives elsewhere (a KV bucket) stops being ready and when it is ready
 * again: what the operator sees in the log besides `/readyz` and the stale-answer header.
 * @module
 */
import type { Logger } from '../log/logger.js'
import type { ReadonlyJwtStore } from '../store/types.js'

/** How often the status is looked at; a status read is a few field reads. */
const CHECK_INTERVAL_MS = 1000

/**
 * Checks the store's status every second and logs each change between ready and not ready.
 * @returns the function that stops checking (nothing to stop for local stores)
 */
export function logStoreStatus(store: Pick<ReadonlyJwtStore, 'name' | 'status'>, logger: Logger): () => void {
  const status = store.status?.bind(store)
  if (status === undefined) return () => undefined
  let ready = true
  const check = () => {
    const now = status()
    const nowReady = now.connected && now.caughtUp && now.writable
    if (nowReady === ready) return
    ready = nowReady
    if (ready) logger.info(`the ${store.name} store is ready again: accounts are current and POSTs are accepted`)
    else {
      logger.warn(
        `the ${store.name} store is not ready: ${now.reason}; serving the accounts this instance holds (answers carry "Warning: 110"), ` +
          `${now.writable ? '' : 'POSTs answer 503 and '}/readyz answers 503 until it is back`,
      )
    }
  }
  check()
  const timer = setInterval(check, CHECK_INTERVAL_MS)
  timer.unref()
  return () => clearInterval(timer)
}
