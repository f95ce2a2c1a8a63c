/**
 * An account server in this process, listening on a loopback port (real HTTP over a socket),
 * for tests that need settings the CLI has no flag for (short NATS intervals).
 */
import { createAccountServer, type AccountServer } from '../../src/server.js'
import { defaultConfig, type ServerConfig } from '../../src/config/types.js'
import { createLogger } from '../../src/log/logger.js'

export type RunningAccountServer = AccountServer & { base: string; logs(): string }

type Overrides = Partial<Omit<ServerConfig, 'nats'>> & { nats?: Partial<ServerConfig['nats']> }

export async function startAccountServer(overrides: Overrides): Promise<RunningAccountServer> {
  const config = defaultConfig()
  Object.assign(config, { ...overrides, nats: { ...config.nats, ...overrides.nats } })
  config.http = { ...config.http, host: '127.0.0.1', port: 0 }
  let output = ''
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => (output += line) } })
  const server = await createAccountServer({ config, logger })
  const { port } = await server.start()
  return Object.assign(server, { base: `http://127.0.0.1:${port}`, logs: () => output })
}
