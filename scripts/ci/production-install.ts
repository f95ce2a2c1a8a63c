/**
 * `npm run ci:production-install`: the package as users install it. Packs the project, installs
 * the tarball with `--omit=dev` into an empty folder, imports the public entry from that copy,
 * and runs its `nats-accounts` against a real nats-server in operator mode: a POSTed account is
 * served and its update notification reaches a subscriber. A runtime import left in
 * devDependencies passes every other test and fails here. Exits 1 on the first failed step.
 */
import { execFile, spawn } from 'node:child_process'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node'
import { startNatsServer, type NatsServer } from '../../test/helpers/nats-server.js'
import { waitFor } from '../../test/helpers/wait.js'
import { tempDir } from '../bench/lib.js'

const REPO = fileURLToPath(new URL('../../../', import.meta.url))
const FIXTURES = join(REPO, 'test/fixtures/standard')
const RESOLVER_LINE = /resolver: URL\((https?:\/\/[^)]+)\)/
const PUBLIC_EXPORTS = ['createAccountServer', 'loadConfig', 'sqliteStore', 'directoryStore', 'checkAccountJwt', 'ErrorCode']

const run = promisify(execFile)
// node-gyp compiles better-sqlite3 with every CPU; Node's headers are under /usr on Debian.
const env = { ...process.env, JOBS: process.env.JOBS ?? 'max', npm_config_nodedir: process.env.npm_config_nodedir ?? '/usr' }

async function step<T>(name: string, action: () => Promise<T>): Promise<T> {
  const started = performance.now()
  try {
    const result = await action()
    console.log(`ok   ${name} (${((performance.now() - started) / 1000).toFixed(1)} s)`)
    return result
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string }
    console.log(`FAIL ${name}: ${(err as Error).message}${stdout ?? ''}${stderr ?? ''}`)
    throw err
  }
}

async function npm(cwd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
  await run('npm', args, { cwd, env: { ...env, ...extraEnv }, maxBuffer: 16 * 1024 * 1024 })
}

/**
 * better-sqlite3's binary as `npm ci` built it in this clone (same version, same Node), offered
 * to the install as the prebuilt archive it would otherwise download, through prebuild-install's
 * documented `<package>_local_prebuilds`: compiling SQLite a second time would take minutes and
 * prove nothing the clone's install did not. Without a build here, the install compiles.
 */
async function localPrebuilds(folder: string): Promise<NodeJS.ProcessEnv> {
  const packageDir = join(REPO, 'node_modules/better-sqlite3')
  const { version } = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as { version: string }
  const archive = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`
  try {
    await mkdir(folder)
    await run('tar', ['-czf', join(folder, archive), '-C', packageDir, 'build/Release/better_sqlite3.node'])
  } catch {
    return {}
  }
  return { npm_config_better_sqlite3_local_prebuilds: folder }
}

/** The installed `nats-accounts` command, started on a free loopback port. */
async function startInstalled(bin: string, args: string[]): Promise<{ base: string; logs: () => string; stop: () => Promise<void> }> {
  const child = spawn(bin, ['-hp', '127.0.0.1:0', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  let exited = false
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  void exit.then(() => (exited = true))
  const match = await waitFor(
    () => {
      if (exited) throw new Error(`nats-accounts exited before it served:\n${output}`)
      return RESOLVER_LINE.exec(output)
    },
    { timeoutMs: 20_000, message: 'the resolver line of the installed nats-accounts' },
  )
  return {
    base: new URL(match[1]!).origin,
    logs: () => output,
    stop: () => {
      if (!exited) child.kill('SIGTERM')
      return exit
    },
  }
}

const manifest = JSON.parse(await readFile(join(FIXTURES, 'manifest.json'), 'utf8')) as {
  system_account: string
  system_account_path: string
  fixtures: { name: string; pubkey?: string; path: string }[]
}
const account = manifest.fixtures.find((entry) => entry.name === 'A0')!
const accountJwt = (await readFile(join(FIXTURES, account.path), 'utf8')).trim()
const sysJwt = (await readFile(join(FIXTURES, manifest.system_account_path), 'utf8')).trim()
const sysCreds = join(FIXTURES, 'creds/SYS.creds')

const dir = await tempDir('nats-accounts-install-')
const app = join(dir, 'app')
let nats: NatsServer | undefined
let server: Awaited<ReturnType<typeof startInstalled>> | undefined
let subscriber: NatsConnection | undefined
let failed = false
try {
  const tarball = await step('npm pack', async () => {
    await npm(REPO, ['pack', '--pack-destination', dir])
    const [name] = (await readdir(dir)).filter((file) => file.endsWith('.tgz'))
    return join(dir, name!)
  })
  const prebuilds = await localPrebuilds(join(dir, 'prebuilds'))
  const how = Object.keys(prebuilds).length > 0 ? "with this clone's better-sqlite3 build" : 'compiling better-sqlite3'
  await step(`npm install --omit=dev of the tarball into an empty folder (${how})`, async () => {
    await mkdir(app)
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'install-check', private: true, allowScripts: { 'better-sqlite3': true } }))
    await npm(app, ['install', '--omit=dev', '--no-audit', '--no-fund', tarball], prebuilds)
  })
  const bin = join(app, 'node_modules/.bin/nats-accounts')
  await step('the installed command prints its version', async () => {
    const { stdout } = await run(bin, ['--version'], { env })
    const { version } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string }
    if (stdout.trim() !== `nats-accounts ${version}`) throw new Error(`--version printed "${stdout.trim()}"`)
  })
  await step('import of the public entry from the installed package', async () => {
    const script = `const m = await import('nats-accounts'); console.log(JSON.stringify(Object.keys(m)))`
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: app, env })
    const missing = PUBLIC_EXPORTS.filter((name) => !(JSON.parse(stdout) as string[]).includes(name))
    if (missing.length > 0) throw new Error(`the entry lacks ${missing.join(', ')}`)
  })
  nats = await step('nats-server in operator mode', () =>
    startNatsServer({
      config: [
        `operator: ${JSON.stringify(join(FIXTURES, 'operator.jwt'))}`,
        `system_account: ${manifest.system_account}`,
        'resolver: MEMORY',
        `resolver_preload: { ${manifest.system_account}: ${JSON.stringify(sysJwt)} }`,
      ].join('\n'),
    }),
  )
  const natsUrl = nats.url
  server = await step('the installed nats-accounts starts with -nats, -creds and -operator', async () => {
    const started = await startInstalled(bin, [
      '--sqlite', join(dir, 'data/accounts.db'),
      '-operator', join(FIXTURES, 'operator.jwt'),
      '-nats', natsUrl,
      '-creds', sysCreds,
    ])
    await waitFor(
      async () => /^nats_accounts_nats_connected 1$/m.test(await (await fetch(`${started.base}/metrics`)).text()),
      { timeoutMs: 15_000, message: 'nats_accounts_nats_connected 1' },
    )
    return started
  })
  const base = server.base
  subscriber = await connect({ servers: natsUrl, authenticator: credsAuthenticator(await readFile(sysCreds)) })
  const updates = subscriber.subscribe(`$SYS.ACCOUNT.${account.pubkey}.CLAIMS.UPDATE`, { max: 1 })
  await subscriber.flush()
  const notified = (async () => {
    for await (const message of updates) return message.string()
    return ''
  })()
  const url = `${base}/jwt/v1/accounts/${account.pubkey}`
  await step('POST of an account JWT is stored', async () => {
    const res = await fetch(url, { method: 'POST', body: accountJwt })
    if (res.status !== 200) throw new Error(`POST answered ${res.status}: ${await res.text()}`)
  })
  await step('GET serves it', async () => {
    const res = await fetch(url)
    const body = await res.text()
    if (res.status !== 200 || body !== accountJwt) throw new Error(`GET answered ${res.status}: ${body}`)
  })
  await step(`its update notification arrives on $SYS.ACCOUNT.${account.pubkey}.CLAIMS.UPDATE`, async () => {
    const body = await Promise.race([notified, delay(5_000, 'timeout' as const, { ref: false })])
    if (body === 'timeout') throw new Error('none within 5 s')
    if (body !== accountJwt) throw new Error(`the notification carried "${body}"`)
  })
} catch {
  failed = true
  if (server) console.log(`the installed nats-accounts logged:\n${server.logs()}`)
} finally {
  await subscriber?.close()
  await server?.stop()
  await nats?.stop()
  await rm(dir, { recursive: true, force: true })
}
console.log(failed ? 'production install: failed' : 'production install: passed')
process.exitCode = failed ? 1 : 0
