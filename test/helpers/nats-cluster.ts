/**
 * A real nats-server cluster with JetStream for a test file: `size` processes (default 3) routed
 * on loopback, random ports, each with its own JetStream store dir that survives kills and
 * restarts. Waits on what the servers report (`/healthz`, `/jsz`), never on time.
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startNatsServer, type NatsServer } from './nats-server.js'
import { freePort } from './ports.js'
import { waitFor } from './wait.js'

export type NatsCluster = {
  nodes: NatsServer[]
  /** Every node's client URL. */
  urls: string[]
  /** The node names (`server_name`), `n1`…: what `/jsz` reports as leaders. */
  names: string[]
  /** `http://127.0.0.1:<monitor port>` of node `i`. */
  monitor(i: number): string
  /** Node `i`'s `/healthz` (JetStream meta leader known, this node current, its streams current). */
  healthz(i: number): Promise<{ status: number; error?: string }>
  /** Node `i`'s `/jsz` with the given query (e.g. `accounts=true&streams=true`). */
  jsz(i: number, query?: string): Promise<JszReport>
  /** Polls until every running node's `/healthz` answers 200. */
  waitHealthy(timeoutMs?: number): Promise<void>
  /** The index of the node leading the stream (e.g. `KV_<bucket>`), once one is elected. */
  streamLeader(stream: string, timeoutMs?: number): Promise<number>
  /** SIGKILL (or `signal`) one node; its data and port stay. */
  kill(i: number, signal?: NodeJS.Signals): Promise<void>
  /** Starts node `i` again on its port with its data. */
  restart(i: number): Promise<void>
  killAll(signal?: NodeJS.Signals): Promise<void>
  /** Starts every stopped node at once (they need each other for a meta leader). */
  restartAll(): Promise<void>
  /** Replaces the config text every node gets (see `config`) for their next restart. */
  reconfigure(config: string | ((i: number) => string)): void
  /** Stops every node and removes all data. Idempotent. */
  stop(): Promise<void>
}

export type JszReport = {
  meta_cluster?: { leader?: string; cluster_size?: number }
  account_details?: {
    name: string
    stream_detail?: { name: string; cluster?: { leader?: string }; state?: { messages: number; last_seq: number } }[]
  }[]
}

export type StartNatsClusterOptions = {
  size?: number
  /** Config text every node gets (accounts, operator, resolver...), or node `i`'s. */
  config?: string | ((i: number) => string)
}

/**
 * Plain (non-operator) accounts for KV tests: `KV` with JetStream (user `kv`/`kv`), and the
 * system account `SYS` (user `sys`/`sys`), which nats-server 2.9 does not let use JetStream.
 */
export const KV_ACCOUNTS_CONFIG = `accounts {
  KV: { jetstream: enabled, users: [{ user: kv, password: kv }] }
  SYS: { users: [{ user: sys, password: sys }] }
}
system_account: SYS
`

/** `nats://kv:kv@host:port,...`: the KV account's user on every node. */
export function kvServers(cluster: NatsCluster, user = 'kv:kv'): string {
  return cluster.urls.map((url) => url.replace('nats://', `nats://${user}@`)).join(',')
}

export async function startNatsCluster(options: StartNatsClusterOptions = {}): Promise<NatsCluster> {
  const size = options.size ?? 3
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nats-cluster-'))
  const names = Array.from({ length: size }, (_, i) => `n${i + 1}`)
  const routePorts: number[] = []
  const monitorPorts: number[] = []
  for (let i = 0; i < size; i++) {
    routePorts.push(await freePort())
    monitorPorts.push(await freePort())
  }
  const routes = routePorts.map((port) => `nats-route://127.0.0.1:${port}`).join(', ')
  const nodeConfig = (i: number, extra = options.config) => `server_name: ${names[i]}
http: 127.0.0.1:${monitorPorts[i]}
jetstream { store_dir: ${JSON.stringify(path.join(dir, names[i]!))}, max_memory_store: 64MB, max_file_store: 1GB }
cluster { name: kvtest, listen: 127.0.0.1:${routePorts[i]}, routes: [${routes}] }
${typeof extra === 'function' ? extra(i) : (extra ?? '')}`
  let nodes: NatsServer[]
  try {
    nodes = await Promise.all(names.map((_, i) => startNatsServer({ config: nodeConfig(i) })))
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
  const monitor = (i: number) => `http://127.0.0.1:${monitorPorts[i]}`
  const healthz = async (i: number) => {
    const res = await fetch(`${monitor(i)}/healthz`, { signal: AbortSignal.timeout(2_000) })
    const body = (await res.json()) as { error?: string }
    return { status: res.status, error: body.error }
  }
  const jsz = async (i: number, query = '') => {
    const res = await fetch(`${monitor(i)}/jsz${query ? `?${query}` : ''}`, { signal: AbortSignal.timeout(2_000) })
    return (await res.json()) as JszReport
  }
  let stopping: Promise<void> | undefined

  const cluster: NatsCluster = {
    nodes,
    urls: nodes.map((n) => n.url),
    names,
    monitor,
    healthz,
    jsz,
    waitHealthy: async (timeoutMs = 60_000) => {
      let last = ''
      await waitFor(
        async () => {
          const running = nodes.map((node, i) => [node, i] as const).filter(([node]) => node.running())
          const answers = await Promise.all(running.map(([, i]) => healthz(i).catch((err: Error) => ({ status: 0, error: err.message }))))
          last = answers.map((a, k) => `${names[running[k]![1]]}: ${a.status} ${a.error ?? ''}`).join('; ')
          return answers.every((a) => a.status === 200)
        },
        { timeoutMs, intervalMs: 200, message: `every running node healthy (last: ${last || 'none'})` },
      ).catch((err: Error) => {
        throw new Error(`${err.message}; last /healthz answers: ${last}`)
      })
    },
    streamLeader: async (stream, timeoutMs = 60_000) =>
      waitFor(
        async () => {
          for (const [i, node] of nodes.entries()) {
            if (!node.running()) continue
            const report = await jsz(i, 'accounts=true&streams=true').catch(() => undefined)
            const found = report?.account_details?.flatMap((a) => a.stream_detail ?? []).find((s) => s.name === stream)
            const leader = found?.cluster?.leader
            const index = leader === undefined ? -1 : names.indexOf(leader)
            if (index >= 0 && nodes[index]!.running()) return index + 1
          }
          return undefined
        },
        { timeoutMs, intervalMs: 200, message: `a leader for stream ${stream}` },
      ).then((n) => n - 1),
    kill: (i, signal) => nodes[i]!.kill(signal),
    restart: (i) => nodes[i]!.restart!(),
    killAll: async (signal) => {
      await Promise.all(nodes.map((node) => node.kill(signal)))
    },
    restartAll: async () => {
      await Promise.all(nodes.filter((node) => !node.running()).map((node) => node.restart!()))
    },
    reconfigure: (config) => {
      for (const [i, node] of nodes.entries()) node.reconfigure(nodeConfig(i, config))
    },
    stop: () => {
      stopping ??= (async () => {
        await Promise.all(nodes.map((node) => node.stop()))
        await rm(dir, { recursive: true, force: true })
      })()
      return stopping
    },
  }
  return cluster
}
