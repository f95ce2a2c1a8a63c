/**
 * Crash-safe file replacement: write a temp file in the same directory, fsync it, rename it over
 * the target, fsync the directory. A reader sees the old or the new content, never a torn one,
 * and once this resolves the new content survives a crash or `kill -9`.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** Temp files end in `.tmp` so nothing that scans for `*.jwt` ever picks one up. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600) {
  const tmp = tempPathFor(path)
  const file = await open(tmp, 'wx', mode)
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
  await syncDirectory(dirname(path))
}

/** Makes a rename (or a new file) in `dir` durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
