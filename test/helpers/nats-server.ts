/**
 * Starts a real `nats-server` for a test file: one process per call, in a fresh temp dir, bound to
 * 127.0.0.1 on a port the server picks (or a given one, for restart tests). Never port 4222.
 * @module
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { constants } from 'node:fs'
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { waitFor } from './wait.js'

export type NatsServer = {
  host: string
  port: number
  /** `nats://127.0.0.1:<port>` */
  url: string
  configFile: string
  dir: string
  /** Everything the current process wrote to stdout and stderr (a restart starts afresh). */
  logs(): string
  /** Polls the current process's log; rejects on timeout or if the process exits first. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  /** SIGTERM, wait for exit, SIGKILL after a bound; removes the temp dir. Idempotent. */
  stop(): Promise<void>
  /** Stops the process (if it runs) and starts a new one on the same port with the same config. */
  restart?(): Promise<void>
  /**
   * Ends the process with `signal` (default SIGKILL: a crash, no clean shutdown) and waits for
   * it to exit; the dir (JetStream data) and the port stay for `restart()`.
   */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Whether the current process is still running. */
  running(): boolean
  /** Replaces the extra config text (`config` of the start options) for the next `restart()`. */
  reconfigure(config: string): void
  /** Rewrites the config (the same `listen` line, then `config`) and has the running process reload it (SIGHUP). */
  reload(config: string): Promise<void>
}

export type StartNatsServerOptions = {
  /** Extra config text appended after the `listen` line. */
  config?: string
  /** Listen on this port (e.g. to come back on the same one); default: let nats-server pick. */
  port?: number
  /** Pass `-D` so auth failures and resolver activity show up in `logs()`. */
  debug?: boolean
}

const HOST = '127.0.0.1'
const READY_TIMEOUT_MS = 10_000
const STOP_TIMEOUT_MS = 5_000
const LISTENING = /Listening for client connections on 127\.0\.0\.1:(\d+)/
const READY = /Server is ready/
const RELOADED = /Reloaded server configuration/g

// Processes still running when the worker exits are killed, so a crashed test leaves no server.
const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/** The binary: `$NATS_SERVER_BIN`, else the first `nats-server` on PATH or in the sbin dirs. */
async function findNatsServer(): Promise<string> {
  const override = process.env.NATS_SERVER_BIN
  // Debian installs it in /usr/sbin, which is not on every user's PATH.
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin']
  const candidates = override
    ? [override]
    : dirs.filter(Boolean).map((d) => path.join(d, 'nats-server'))
  for (const file of candidates) {
    try {
      await access(file, constants.X_OK)
      return file
    } catch {
      // try the next one
    }
  }
  throw new Error(
    `nats-server not found (looked for ${override ?? 'nats-server on PATH and in /usr/sbin'}). ` +
      'These tests need a real server: apt-get install nats-server (or set NATS_SERVER_BIN).',
  )
}

function configText(port: number | undefined, extra: string | undefined): string {
  const listen = `listen: ${HOST}:${port ?? -1}\n`
  return extra ? `${listen}${extra.endsWith('\n') ? extra : `${extra}\n`}` : listen
}

function singleMatch(pattern: RegExp): RegExp {
  // A global or sticky regexp would make String#match return all matches or depend on lastIndex.
  return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''))
}

type Proc = {
  child: ChildProcess
  output: { text: string }
  exited: Promise<void>
  exitInfo(): string | undefined
}

function spawnServer(bin: string, configFile: string, debug: boolean): Promise<Proc> {
  const args = debug ? ['-c', configFile, '-D'] : ['-c', configFile]
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const output = { text: '' }
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk))
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk))
  let info: string | undefined
  let spawnError: Error | undefined
  const exited = new Promise<void>((resolve) => {
    child.once('error', (err) => {
      spawnError = err
      info = `failed to spawn ${bin}: ${err.message}`
      resolve()
    })
    // 'close' rather than 'exit': the pipes are drained, so the log is complete.
    child.once('close', (code, signal) => {
      info ??= `exited with ${signal ? `signal ${signal}` : `code ${code}`}`
      resolve()
    })
  })
  live.add(child)
  void exited.then(() => live.delete(child))
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve({ child, output, exited, exitInfo: () => info }))
    void exited.then(() => spawnError && reject(spawnError))
  })
}

async function terminate(proc: Proc): Promise<void> {
  if (proc.exitInfo() !== undefined) return
  proc.child.kill('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS)
  })
  const killed = await Promise.race([proc.exited.then(() => false), timedOut])
  clearTimeout(timer)
  if (killed) {
    proc.child.kill('SIGKILL')
    await proc.exited
  }
}

async function waitUntilReady(proc: Proc, config: string): Promise<number> {
  // The temp dir is gone by the time anyone reads this, so the config goes into the message.
  const failure = (why: string) =>
    new Error(`nats-server ${why}; its log:\n${proc.output.text}\nits config:\n${config}`)
  try {
    const port = await waitFor(
      () => {
        const info = proc.exitInfo()
        if (info !== undefined) throw failure(info)
        const listening = LISTENING.exec(proc.output.text)
        return listening && READY.test(proc.output.text) ? Number(listening[1]) : undefined
      },
      { timeoutMs: READY_TIMEOUT_MS, intervalMs: 20, message: 'nats-server ready' },
    )
    return port
  } catch (err) {
    await terminate(proc)
    if (err instanceof Error && err.message.startsWith('waitFor:')) {
      throw failure(`was not ready within ${READY_TIMEOUT_MS} ms`)
    }
    throw err
  }
}

/**
 * Starts `nats-server -c <dir>/nats-server.conf` and resolves once it accepts clients. Rejects
 * with the server's log if it exits first (bad config, port in use) or is not ready in 10 s.
 */
export async function startNatsServer(opts: StartNatsServerOptions = {}): Promise<NatsServer> {
  const bin = await findNatsServer()
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nats-test-'))
  const configFile = path.join(dir, 'nats-server.conf')
  const debug = opts.debug ?? false
  let extraConfig = opts.config

  const launch = async (port: number | undefined): Promise<{ proc: Proc; port: number }> => {
    const config = configText(port, extraConfig)
    await writeFile(configFile, config)
    const proc = await spawnServer(bin, configFile, debug)
    return { proc, port: await waitUntilReady(proc, config) }
  }

  let current: { proc: Proc; port: number }
  try {
    current = await launch(opts.port)
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
  const port = current.port
  let stopping: Promise<void> | undefined

  const server: NatsServer = {
    host: HOST,
    port,
    url: `nats://${HOST}:${port}`,
    configFile,
    dir,
    logs: () => current.proc.output.text,
    waitForLog: async (pattern, timeoutMs = 5_000) => {
      const re = singleMatch(pattern)
      const proc = current.proc
      return waitFor(
        () => {
          const match = proc.output.text.match(re)
          if (match) return match
          const info = proc.exitInfo()
          if (info !== undefined) {
            const log = proc.output.text
            throw new Error(`nats-server ${info} before logging ${re}; its log:\n${log}`)
          }
          return undefined
        },
        { timeoutMs, intervalMs: 20, message: `nats-server log line ${re}` },
      )
    },
    kill: async (signal = 'SIGKILL') => {
      const proc = current.proc
      if (proc.exitInfo() !== undefined) return
      proc.child.kill(signal)
      await proc.exited
    },
    running: () => current.proc.exitInfo() === undefined,
    reconfigure: (config) => {
      extraConfig = config
    },
    stop: () => {
      stopping ??= (async () => {
        await terminate(current.proc)
        await rm(dir, { recursive: true, force: true })
      })()
      return stopping
    },
    reload: async (config) => {
      const reloads = (current.proc.output.text.match(RELOADED) ?? []).length
      await writeFile(configFile, configText(port, config))
      current.proc.child.kill('SIGHUP')
      await waitFor(() => (current.proc.output.text.match(RELOADED) ?? []).length > reloads || undefined, {
        timeoutMs: READY_TIMEOUT_MS,
        message: 'nats-server to reload its configuration',
      })
    },
    restart: async () => {
      if (stopping) throw new Error('restart() after stop()')
      await terminate(current.proc)
      // Pin the port the first process got, so clients can come back to the same URL.
      await mkdir(dir, { recursive: true })
      current = await launch(port)
    },
  }
  return server
}
