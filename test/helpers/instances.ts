/**
 * Several nats-accounts processes (the built CLI) serving one shared store, each on a loopback
 * port fixed up front (nats-server configs can name them before they start; a restarted
 * instance comes back on the same URL), with `kill -9` of one.
 * @module
 */
import { startServer, type RunningServer, type StartServerOptions } from './cli.js'
import { freePort } from './ports.js'

export type InstanceFleet = {
  /** The current process of each instance (replaced by `restart`). */
  instances: RunningServer[]
  /** `http://127.0.0.1:<port>` of each instance, known before it starts. */
  bases: string[]
  /** `kill -9` instance `i`: no shutdown, no flush. Resolves once it has exited. */
  kill(i: number): Promise<void>
  /** Starts instance `i` again with its arguments, on its port. */
  restart(i: number): Promise<RunningServer>
  /** Stops every running instance (SIGTERM). */
  stop(): Promise<void>
}

export type FleetOptions = Omit<StartServerOptions, 'port'> & {
  /** The ports to use (default: free ones), e.g. when nats-server configs name them first. */
  ports?: number[]
}

/** Free loopback ports for `count` instances, to name in configs before the instances start. */
export async function instancePorts(count: number): Promise<number[]> {
  const ports: number[] = []
  for (let i = 0; i < count; i++) ports.push(await freePort())
  return ports
}

/**
 * Starts `count` instances at once, instance `i` with `argsFor(i)`, and resolves when every one
 * has printed its resolver line.
 */
export async function startInstances(
  count: number,
  argsFor: (i: number) => readonly string[],
  options: FleetOptions = {},
): Promise<InstanceFleet> {
  const ports = options.ports ?? (await instancePorts(count))
  const start = (i: number) => startServer(argsFor(i), { ...options, port: ports[i] })
  const started = await Promise.allSettled(ports.map((_, i) => start(i)))
  const instances = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
  const failed = started.find((s) => s.status === 'rejected')
  if (failed) {
    await Promise.all(instances.map((instance) => instance.stop()))
    throw failed.reason
  }
  return {
    instances,
    bases: ports.map((port) => `http://127.0.0.1:${port}`),
    async kill(i) {
      await instances[i]!.stop('SIGKILL')
    },
    async restart(i) {
      await instances[i]!.stop('SIGKILL')
      instances[i] = await start(i)
      return instances[i]
    },
    async stop() {
      await Promise.all(instances.map((instance) => instance.stop()))
    },
  }
}
