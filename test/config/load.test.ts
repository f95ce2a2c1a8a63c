import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import { defaultConfig } from '../../src/config/types.js'
import { tempDir } from '../helpers/tmp.js'

async function configFile(text: string, name = 'server.conf'): Promise<string> {
  const file = join(await tempDir(), name)
  await writeFile(file, text)
  return file
}

describe('config file: the Go server documented examples', () => {
  it('reads the legacy docs example', async () => {
    const file = await configFile(`
operatorjwtpath: "/users/synadia/.nsc/nats/O/O.jwt"
systemaccountjwtpath: "/users/synadia/.nsc/nats/O/accounts/SYS/SYS.jwt"
http { port: 9090 }
store { dir: "/tmp/as_store", readonly: false, shard: true }
nats { servers: ["nats://localhost:4222"], usercredentials: "/users/synadia/.nkeys/creds/O/SYS/sys.creds" }
logging { time: true, debug: false, trace: false, colors: true, pid: false }
`)
    const { config, warnings } = await loadConfig({ file, env: {} })
    expect(warnings).toEqual([])
    const expected = defaultConfig()
    expected.operator = '/users/synadia/.nsc/nats/O/O.jwt'
    expected.systemAccountJwt = '/users/synadia/.nsc/nats/O/accounts/SYS/SYS.jwt'
    expected.store = { type: 'directory', dir: '/tmp/as_store', shard: true }
    expected.nats.servers = ['nats://localhost:4222']
    expected.nats.credentials = '/users/synadia/.nkeys/creds/O/SYS/sys.creds'
    expect(config).toEqual(expected)
  })

  it('matches keys in any letter case, as the Go server did (its TestStartWithConfigFileFlag)', async () => {
    const file = await configFile(`
OperatorJWTPath: "/op.jwt"
systemaccountjwtpath: "/sys.jwt"
primary: "http://primary:9090"
http {
  host: "127.0.0.1"
  port: 9091
  readtimeout: 2000
  writetimeout: 2000
}
store {
  dir: "/store"
  readonly: false
  shard: false
}
logging { Time: true, Debug: true }
nats {
  servers: ["nats://a:4222", "nats://b:4222"]
  usercredentials: "/sys.creds"
  ConnectTimeout: 1000
  ReconnectWait: 10000
}
maxreplicationpack: 50
replicationtimeout: 100
`)
    const { config } = await loadConfig({ file, env: {} })
    expect(config).toMatchObject({
      operator: '/op.jwt',
      systemAccountJwt: '/sys.jwt',
      primary: 'http://primary:9090',
      http: { host: '127.0.0.1', port: 9091, readTimeoutMs: 2000 },
      store: { type: 'directory', dir: '/store', shard: false },
      logging: { level: 'debug' },
      nats: { servers: ['nats://a:4222', 'nats://b:4222'], credentials: '/sys.creds', connectTimeoutMs: 1000, reconnectWaitMs: 10_000 },
      maxPack: 50,
      replicationTimeoutMs: 100,
    })
  })
})

describe('config file: nats-server style and our own keys', () => {
  it('takes operator, system_account, system_account_jwt, store.sqlite, TLS, durations', async () => {
    const file = await configFile(`
operator = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.AA"
system_account = ADIONZ4A6O7CHSF63YXCZX4MZSXB2CDJYAVACXF3XGAD4XPVYC7IF57U
system_account_jwt = /sys.jwt
store { sqlite: /var/lib/accounts.db }
http { tls { cert: /c.pem, key: /k.pem, ca: /ca.pem }, max_body: 2048 }
nats {
  servers: nats://n:4222
  creds: /s.creds
  tls { root: /nca.pem, cert: /nc.pem, key: /nk.pem }
  required: true
  notify_window: "250ms"
  pack_interval: "2m"
  lookup_timeout: 300
}
logging { level: warn, format: JSON }
`)
    const { config } = await loadConfig({ file, env: {} })
    expect(config).toMatchObject({
      operator: 'eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.AA',
      systemAccount: 'ADIONZ4A6O7CHSF63YXCZX4MZSXB2CDJYAVACXF3XGAD4XPVYC7IF57U',
      systemAccountJwt: '/sys.jwt',
      store: { type: 'sqlite', file: '/var/lib/accounts.db' },
      http: { tls: { cert: '/c.pem', key: '/k.pem', ca: '/ca.pem' }, maxBodyBytes: 2048 },
      nats: {
        servers: ['nats://n:4222'],
        credentials: '/s.creds',
        tls: { ca: '/nca.pem', cert: '/nc.pem', key: '/nk.pem' },
        required: true,
        notifyWindowMs: 250,
        packIntervalMs: 120_000,
        lookupTimeoutMs: 300,
      },
      logging: { level: 'warn', format: 'json' },
    })
  })

  it('resolves $VARIABLES from the file and the environment', async () => {
    const file = await configFile('PORT: 9555\nhttp { port: $PORT, host: $HOST }\n')
    const { config } = await loadConfig({ file, env: { HOST: '10.0.0.1' } })
    expect(config.http).toMatchObject({ port: 9555, host: '10.0.0.1' })
  })

  it('warns about unknown keys with file and line, and about keys that do nothing here', async () => {
    const file = await configFile('http { port: 1, colour: red }\nbogus: 1\nnats { maxreconnects: 5 }\n')
    const { warnings } = await loadConfig({ file, env: {} })
    expect(warnings).toEqual([
      `${file}:1: http.colour: unknown key, ignored`,
      `${file}:2: bogus: unknown key, ignored`,
      'nats.maxreconnects: nats-accounts always reconnects',
    ])
  })
})

describe('config errors name the file, the line and the key', () => {
  it.each([
    ['http {\n  port: abc\n}\n', ':2: http.port: expected an integer, got "abc"'],
    ['store { readonly: true }\n', ':1: store.readonly: support for read only directory access with file system updates has been removed'],
    ['store { nsc: /x }\n', ':1: store.nsc: support for direct access of the nsc folder has been removed'],
    ['store { dir: /a, sqlite: /b.db }\n', ': store.dir and store.sqlite name two different stores: choose one'],
    ['http { port: [1, 2] }\n', ':1: http.port: expected an integer, got a list'],
    ['logging { level: loud }\n', ':1: logging.level: "loud" is not a log level (trace, debug, info, warn, error)'],
    ['nats { reconnectwait: "soon" }\n', ':1: nats.reconnectwait: expected milliseconds or a duration like "2s", got "soon"'],
    ['http { port: "1\n', ':1: '],
    ['store { shard: true }\n', ': store.shard needs store.dir: it describes a directory store, and the store is SQLite'],
  ])('%j', async (text, message) => {
    const file = await configFile(text)
    await expect(loadConfig({ file, env: {} })).rejects.toThrow(message)
    await expect(loadConfig({ file, env: {} })).rejects.toMatchObject({ code: 'ERR_CONFIG' })
  })

  it('names a missing file', async () => {
    await expect(loadConfig({ file: '/nonexistent/a.conf', env: {} })).rejects.toThrow(
      'error reading configuration file: /nonexistent/a.conf',
    )
  })
})

describe('precedence: defaults < file < environment', () => {
  it('lets NATS_ACCOUNTS_* override the file, and uses the file over the defaults', async () => {
    const file = await configFile('http { port: 9100, host: 0.0.0.0 }\nstore { dir: /from-file }\nnats { servers: [nats://file:4222] }\n')
    const { config } = await loadConfig({
      file,
      env: {
        NATS_ACCOUNTS_HTTP_PORT: '9200',
        NATS_ACCOUNTS_STORE_SQLITE: '/env.db',
        NATS_ACCOUNTS_NATS_SERVERS: 'nats://e1:4222,nats://e2:4222',
        NATS_ACCOUNTS_NATS_REQUIRED: 'true',
        NATS_ACCOUNTS_LOG_FORMAT: 'json',
        NATS_ACCOUNTS_OPERATOR: 'eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.AA',
      },
    })
    expect(config).toMatchObject({
      http: { port: 9200, host: '0.0.0.0' },
      store: { type: 'sqlite', file: '/env.db' },
      nats: { servers: ['nats://e1:4222', 'nats://e2:4222'], required: true },
      logging: { format: 'json' },
      operator: 'eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.AA',
    })
  })

  it('refuses NATS_ACCOUNTS_STORE_SHARD without a directory store, takes it with one from the file', async () => {
    await expect(loadConfig({ env: { NATS_ACCOUNTS_STORE_SHARD: 'true' } })).rejects.toThrow(
      'environment: store.shard needs store.dir: it describes a directory store, and the store is SQLite',
    )
    const file = await configFile('store { dir: /from-file }\n')
    const { config } = await loadConfig({ file, env: { NATS_ACCOUNTS_STORE_SHARD: 'true' } })
    expect(config.store).toEqual({ type: 'directory', dir: '/from-file', shard: true })
  })

  it('reads the clock skew from clock_skew and NATS_ACCOUNTS_CLOCK_SKEW (the variable wins)', async () => {
    const file = await configFile('clock_skew: "10m"\n')
    expect((await loadConfig({ file, env: {} })).config.clockSkewMs).toBe(600_000)
    expect((await loadConfig({ file, env: { NATS_ACCOUNTS_CLOCK_SKEW: '30s' } })).config.clockSkewMs).toBe(30_000)
    expect((await loadConfig({ env: {} })).config.clockSkewMs).toBe(300_000)
    await expect(loadConfig({ env: { NATS_ACCOUNTS_CLOCK_SKEW: 'soon' } })).rejects.toThrow(
      'NATS_ACCOUNTS_CLOCK_SKEW (clockskew): expected milliseconds or a duration like "2s", got "soon"',
    )
  })

  it('reads the fleet scan settings from nats { fleet_interval, fleet_rate, auto_resync } and the environment', async () => {
    expect((await loadConfig({ env: {} })).config.nats).toMatchObject({ fleetIntervalMs: 300_000, fleetRate: 100, autoResync: false })
    const file = await configFile('nats { fleet_interval: "30s", fleet_rate: 20, auto_resync: true }\n')
    expect((await loadConfig({ file, env: {} })).config.nats).toMatchObject({ fleetIntervalMs: 30_000, fleetRate: 20, autoResync: true })
    const env = { NATS_ACCOUNTS_FLEET_INTERVAL: '0', NATS_ACCOUNTS_AUTO_RESYNC: 'false' }
    expect((await loadConfig({ file, env })).config.nats).toMatchObject({ fleetIntervalMs: 0, autoResync: false })
    await expect(loadConfig({ file: await configFile('nats { fleet_rate: 0 }\n'), env: {} })).rejects.toThrow(
      ':1: nats.fleet_rate: expected a number of requests per second of at least 1, got 0',
    )
  })

  it('names the variable of a bad value', async () => {
    await expect(loadConfig({ env: { NATS_ACCOUNTS_HTTP_PORT: 'x' } })).rejects.toThrow(
      'NATS_ACCOUNTS_HTTP_PORT (http.port): expected an integer, got "x"',
    )
  })
})

describe('the KV store: store.kv and NATS_ACCOUNTS_STORE_KV_*', () => {
  const noTls = { cert: '', key: '', ca: '' }

  it('reads store { kv { bucket, servers, creds, replicas, tls } } from the file', async () => {
    const file = await configFile(
      'store { kv { bucket: accounts, servers: ["nats://u:p@a:4222", "nats://b:4222"], creds: /kv.creds, replicas: 3, snapshot: /var/kv.snapshot, tls { ca: /ca.pem, cert: /c.pem, key: /k.pem } } }\n',
    )
    const { config } = await loadConfig({ file, env: {} })
    expect(config.store).toEqual({
      type: 'kv',
      bucket: 'accounts',
      servers: ['nats://u:p@a:4222', 'nats://b:4222'],
      creds: '/kv.creds',
      replicas: 3,
      tls: { ca: '/ca.pem', cert: '/c.pem', key: '/k.pem' },
      snapshot: '/var/kv.snapshot',
    })
  })

  it('takes the variables over the file, and alone', async () => {
    const file = await configFile('store { kv { bucket: from_file, servers: nats://file:4222, replicas: 3 } }\n')
    const env = {
      NATS_ACCOUNTS_STORE_KV_BUCKET: 'from_env',
      NATS_ACCOUNTS_STORE_KV_SERVERS: 'nats://e1:4222,nats://e2:4222',
      NATS_ACCOUNTS_STORE_KV_CREDS: '/env.creds',
      NATS_ACCOUNTS_STORE_KV_TLS_CA: '/env-ca.pem',
      NATS_ACCOUNTS_STORE_KV_SNAPSHOT: '/env.snapshot',
    }
    expect((await loadConfig({ file, env })).config.store).toEqual({
      type: 'kv',
      bucket: 'from_env',
      servers: ['nats://e1:4222', 'nats://e2:4222'],
      creds: '/env.creds',
      replicas: 3,
      tls: { ...noTls, ca: '/env-ca.pem' },
      snapshot: '/env.snapshot',
    })
    expect((await loadConfig({ env: { NATS_ACCOUNTS_STORE_KV_BUCKET: 'b', NATS_ACCOUNTS_STORE_KV_REPLICAS: '5' } })).config.store).toEqual({
      type: 'kv', bucket: 'b', servers: [], creds: '', replicas: 5, tls: noTls, snapshot: '',
    })
    const sqliteFile = await configFile('store { kv { bucket: b, servers: nats://x:4222 } }\n')
    expect((await loadConfig({ file: sqliteFile, env: { NATS_ACCOUNTS_STORE_SQLITE: '/env.db' } })).config.store).toEqual({
      type: 'sqlite',
      file: '/env.db',
    })
  })

  it('refuses kv settings without a bucket, two stores in one place, bad names and replica counts', async () => {
    await expect(loadConfig({ env: { NATS_ACCOUNTS_STORE_KV_SERVERS: 'nats://x:4222' } })).rejects.toThrow(
      'environment: store.kv settings need store.kv.bucket (NATS_ACCOUNTS_STORE_KV_BUCKET): they describe a KV store',
    )
    const both = await configFile('store { dir: /d, kv { bucket: b } }\n')
    await expect(loadConfig({ file: both, env: {} })).rejects.toThrow('store.dir and store.kv.bucket name two different stores: choose one')
    await expect(loadConfig({ env: { NATS_ACCOUNTS_STORE_KV_BUCKET: 'a.b' } })).rejects.toThrow(
      'NATS_ACCOUNTS_STORE_KV_BUCKET (store.kv.bucket): "a.b" is not a KV bucket name (letters, digits, - and _)',
    )
    const replicas = await configFile('store { kv { bucket: b, replicas: 7 } }\n')
    await expect(loadConfig({ file: replicas, env: {} })).rejects.toThrow('store.kv.replicas: 7 is not a number of replicas from 1 to 5')
  })
})
