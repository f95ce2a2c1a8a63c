/**
 * Runs the built CLI (`dist/cli.js`, built by `npm test`'s pretest) as a real process.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { waitFor } from './wait.js'

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))
const RESOLVER_LINE = /resolver: URL\((https?:\/\/[^)]+)\)/

export type CliProcess = {
  child: ChildProcess
  logs(): string
  /** Standard output alone (what a command prints for a pipe, such as `check --json`). */
  stdout(): string
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  exited: Promise<number | string>
}

const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

export type CliOptions = { cwd?: string; /** Added to this process's environment. */ env?: NodeJS.ProcessEnv }

export function runCli(args: readonly string[], options: CliOptions = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(child)
  let output = ''
  let stdout = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString()
    stdout += chunk.toString()
  })
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child)
      resolve(code ?? signal ?? -1)
    })
  })
  return { child, logs: () => output, stdout: () => stdout, exited }
}

export type RunningServer = CliProcess & {
  /** `http://127.0.0.1:<port>` */
  base: string
  /** The `resolver: URL(...)` value the server printed. */
  resolverUrl: string
  stop(signal?: NodeJS.Signals): Promise<number | string>
}

export type StartServerOptions = CliOptions & {
  /** Listen on this loopback port (to come back on it after a kill); default: a free one. */
  port?: number
  /** How long to wait for the resolver line. @default 15 s */
  timeoutMs?: number
}

/** Starts the server on a free loopback port and waits for its resolver line. */
export async function startServer(args: readonly string[], options: StartServerOptions = {}): Promise<RunningServer> {
  const proc = runCli(['-hp', `127.0.0.1:${options.port ?? 0}`, ...args], options)
  let ended = false
  void proc.exited.then(() => (ended = true))
  const match = await waitFor(
    () => {
      if (ended) throw new Error(`nats-accounts exited before it was ready:\n${proc.logs()}`)
      return RESOLVER_LINE.exec(proc.logs())
    },
    { timeoutMs: options.timeoutMs ?? 15_000, message: 'the resolver line' },
  )
  const resolverUrl = match[1]!
  return {
    ...proc,
    resolverUrl,
    base: new URL(resolverUrl).origin,
    async stop(signal = 'SIGTERM') {
      if (!ended) proc.child.kill(signal)
      return proc.exited
    },
  }
}
