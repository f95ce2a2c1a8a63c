/**
 * Crash-safe file replacement: write a temp file in the same directory, fsync it, rename it over
 * the target, fsync the directory. A reader sees the old or the new content, never a torn one,
 * and once this resolves the new content survives a crash or `kill -9`.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { renameSync, rmSync, writeFileSync } from 'node:fs'
import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** Temp files end in `.tmp` so nothing that scans for `*.jwt` ever picks one up. */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
}

const TEMP_FILE = /^\.(.+)\.[0-9a-f]{12}\.tmp$/

/** Whether `name` is a temp file `tempPathFor` made for a file whose name matches `target`. */
export function isTempFileFor(name: string, target: RegExp): boolean {
  const match = TEMP_FILE.exec(name)
  return match !== null && target.test(match[1]!)
}

export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: { mode?: number; syncer?: GroupSyncer } = {},
): Promise<void> {
  const tmp = tempPathFor(path)
  const file = await open(tmp, 'wx', options.mode ?? 0o600)
  try {
    await file.writeFile(data)
    await file.sync()
  } catch (err) {
    await file.close()
    await rm(tmp, { force: true })
    throw err
  }
  await file.close()
  try {
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  await (options.syncer ? options.syncer.sync(dirname(path)) : syncPath(dirname(path)))
}

/**
 * The same replacement without the fsyncs, for a caller that makes it durable another way (the
 * directory store's journal): readers still never see a torn file. Synchronous: four system
 * calls on the page cache cost less than four trips through the thread pool.
 */
export function replaceFileSync(path: string, data: string, mode = 0o600): void {
  const tmp = tempPathFor(path)
  try {
    writeFileSync(tmp, data, { mode, flag: 'wx' })
    renameSync(tmp, path)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
}

/** fsync of a file, or of a directory (which makes a rename or a new file in it durable). */
async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Group fsync of directories or files: a caller is covered by the first fsync of its path that
 * *starts* after its call, so renames (or journal appends) that land while one fsync runs share the
 * next one.
 */
export class GroupSyncer {
  readonly #running = new Set<string>()
  readonly #next = new Map<string, { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void }>()

  sync(path: string): Promise<void> {
    let next = this.#next.get(path)
    if (next === undefined) {
      let resolve!: () => void
      let reject!: (err: unknown) => void
      const promise = new Promise<void>((res, rej) => {
        resolve = res
        reject = rej
      })
      next = { promise, resolve, reject }
      this.#next.set(path, next)
      this.#start(path)
    }
    return next.promise
  }

  #start(path: string): void {
    if (this.#running.has(path)) return
    const batch = this.#next.get(path)
    if (batch === undefined) return
    this.#next.delete(path)
    this.#running.add(path)
    syncPath(path)
      .then(batch.resolve, batch.reject)
      .finally(() => {
        this.#running.delete(path)
        this.#start(path)
      })
  }
}
