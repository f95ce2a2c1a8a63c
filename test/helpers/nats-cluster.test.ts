/**
 * Proves the cluster harness against real nats-server 2.9 processes: a 3-node JetStream cluster
 * forms, an R3 stream outlives the loss of its leader, and the whole cluster comes back from
 * SIGKILL with its data.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KV_ACCOUNTS_CONFIG, kvServers, startNatsCluster, type NatsCluster } from './nats-cluster.js'
import { waitFor } from './wait.js'

type StreamInfo = { state?: { messages: number }; cluster?: { leader?: string }; error?: { description: string } }

let cluster: NatsCluster
let nc: NatsConnection

async function api(subject: string, body: unknown = {}): Promise<StreamInfo> {
  const reply = await nc.request(subject, JSON.stringify(body), { timeout: 2_000 })
  return reply.json<StreamInfo>()
}

/** Publishes with a JetStream acknowledgement, retrying until one comes (a leader is elected). */
async function publishAcked(subject: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => {
      try {
        const ack = (await nc.request(subject, 'x', { timeout: 1_000 })).json<{ seq?: number }>()
        return ack.seq !== undefined
      } catch {
        return false
      }
    },
    { timeoutMs, intervalMs: 100, message: `an acknowledged publish on ${subject}` },
  )
}

beforeAll(async () => {
  cluster = await startNatsCluster({ config: KV_ACCOUNTS_CONFIG })
  await cluster.waitHealthy()
  const servers = kvServers(cluster).split(',')
  nc = await connect({ servers, user: 'kv', pass: 'kv', maxReconnectAttempts: -1, reconnectTimeWait: 100 })
})

afterAll(async () => {
  await nc?.close()
  await cluster?.stop()
})

describe('startNatsCluster', () => {
  it('forms a 3-node JetStream cluster on loopback with one meta leader', async () => {
    expect(cluster.nodes).toHaveLength(3)
    expect(new Set(cluster.urls).size).toBe(3)
    for (const url of cluster.urls) expect(url).not.toMatch(/:4222$/)
    const report = await cluster.jsz(0)
    expect(report.meta_cluster?.cluster_size).toBe(3)
    expect(cluster.names).toContain(report.meta_cluster?.leader)
  })

  it('an R3 stream takes writes again after its leader is killed, and the node rejoins', async () => {
    const created = await api('$JS.API.STREAM.CREATE.T', { name: 'T', subjects: ['t.>'], num_replicas: 3 })
    expect(created.error).toBeUndefined()
    await publishAcked('t.before')
    const leader = await cluster.streamLeader('T')
    await cluster.kill(leader)
    expect(cluster.nodes[leader]!.running()).toBe(false)
    await publishAcked('t.during')
    const next = await cluster.streamLeader('T')
    expect(next).not.toBe(leader)
    await cluster.restart(leader)
    await cluster.waitHealthy()
    expect((await api('$JS.API.STREAM.INFO.T')).state?.messages).toBe(2)
  })

  it('comes back from SIGKILL of every node with its data, healthy again', async () => {
    await cluster.killAll()
    expect(cluster.nodes.every((node) => !node.running())).toBe(true)
    await expect(cluster.healthz(0)).rejects.toThrow()
    await cluster.restartAll()
    await cluster.waitHealthy()
    await publishAcked('t.after')
    expect((await api('$JS.API.STREAM.INFO.T')).state?.messages).toBe(3)
  })
})
