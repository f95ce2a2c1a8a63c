/**
 * Polling for tests: wait on a condition (a status, a metric, a file) instead of sleeping.
 * @module
 */

export type WaitForOptions = {
  timeoutMs?: number
  intervalMs?: number
  /** Names the condition in the timeout error. */
  message?: string
}

/**
 * Polls `fn` until it returns something other than `undefined`, `null` or `false`, and returns
 * that. An exception thrown by `fn` ends the wait at once (catch inside `fn` to retry on errors).
 * Rejects with `message` after `timeoutMs` (default 5 s); a call that hangs counts against it.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  opts: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const { timeoutMs = 5_000, intervalMs = 25, message = 'condition' } = opts
  const deadline = Date.now() + timeoutMs
  const timeoutError = () => new Error(`waitFor: ${message} not met within ${timeoutMs} ms`)
  for (;;) {
    const value = await withDeadline(Promise.resolve().then(fn), deadline, timeoutError)
    if (value !== undefined && value !== null && value !== false) return value as NonNullable<T>
    const left = deadline - Date.now()
    if (left <= 0) throw timeoutError()
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, left)))
  }
}

function withDeadline<T>(p: Promise<T>, deadline: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(0, deadline - Date.now()))
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}
