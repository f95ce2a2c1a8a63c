/**
 * An account server in this process, listening on a loopback port (real HTTP over a socket),
 * for tests that need settings the CLI has no flag for (short NATS intervals).
 */
import { createAccountServer, type AccountServer } from '../../src/server.js'
import { defaultConfig, type ServerConfig } from '../../src/config/types.js'
import { createLogger } from '../../src/log/logger.js'
import type { JwtStore } from '../../src/store/types.js'

export type RunningAccountServer = AccountServer & { base: string; logs(): string }

type Overrides = Partial<Omit<ServerConfig, 'nats'>> & { nats?: Partial<ServerConfig['nats']> }

/** `store`: a store the test holds (otherwise built from the configuration). */
export async function startAccountServer(overrides: Overrides, store?: JwtStore): Promise<RunningAccountServer> {
  const config = defaultConfig()
  Object.assign(config, { ...overrides, nats: { ...config.nats, ...overrides.nats } })
  // A port of the test's own (a restart on the same port) is kept; the default one (9090, often
  // spread in with the other HTTP defaults) would collide between test files: a free one instead.
  const wanted = overrides.http?.port
  config.http = { ...config.http, host: '127.0.0.1', port: wanted === undefined || wanted === defaultConfig().http.port ? 0 : wanted }
  let output = ''
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => (output += line) } })
  const server = await createAccountServer({ config, logger, store })
  const { port } = await server.start()
  return Object.assign(server, { base: `http://127.0.0.1:${port}`, logs: () => output })
}
