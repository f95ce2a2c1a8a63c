/**
 * What the benchmarks share: wrk runs and their figures, nginx serving a sharded directory of
 * account JWTs, and waiting for a server.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { waitFor } from '../../test/helpers/wait.js'
import { freePort } from '../../test/helpers/ports.js'
import { tempDir } from './lib.js'

export function need(tool: string, pkg: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' })
  } catch {
    if (process.getuid?.() === 0) {
      console.error(`installing ${pkg} (Debian package)...`)
      execFileSync('sh', ['-c', `apt-get update -qq && apt-get install -y -qq ${pkg}`], { stdio: 'inherit' })
    } else {
      throw new Error(`${tool} is needed: apt-get install ${pkg}`)
    }
  }
}

function milliseconds(text: string): number {
  const match = /([\d.]+)(us|ms|s)/.exec(text)!
  const value = Number(match[1])
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value
}

export type Sample = { rps: number; p50: number; p99: number; non2xx: number }

export type WrkOptions = { seconds: number; connections: number; script?: string; header?: string; offset?: number }

/** One wrk run: `-t1 -c<connections> -d<seconds>s --latency`, optionally with a Lua script and a header. */
export function wrk(url: string, options: WrkOptions): Sample {
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency']
  if (options.script) args.push('-s', options.script)
  if (options.header) args.push('-H', options.header)
  args.push(url)
  if (options.offset !== undefined) args.push('--', String(options.offset))
  const out = execFileSync('wrk', args, { encoding: 'utf8' })
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1])
  const p50 = milliseconds(/\s50%\s+(\S+)/.exec(out)![1]!)
  const p99 = milliseconds(/\s99%\s+(\S+)/.exec(out)![1]!)
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0)
  return { rps, p50, p99, non2xx }
}

export function median(samples: Sample[]): Sample {
  const sorted = [...samples].sort((a, b) => a.rps - b.rps)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** Polls `url` until it answers (connection refused until the server listens). */
export async function waitUntilServing(url: string, accept: (status: number) => boolean, what: string): Promise<void> {
  // A short interval: the start-up time is measured with this poll.
  await waitFor(() => fetch(url).then((res) => accept(res.status), () => false), { timeoutMs: 60_000, intervalMs: 10, message: what })
}

export async function startNginx(dir: string): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort()
  const prefix = await tempDir('nats-accounts-nginx-')
  // The store's files are 0600: nginx's workers must run as their owner.
  const user = process.getuid?.() === 0 ? 'user root;\n' : ''
  // Cached descriptors count against the open-file limit (20,000 here): keep room for sockets.
  await writeFile(join(prefix, 'nginx.conf'), `${user}worker_processes ${availableParallelism()};
worker_rlimit_nofile 20000;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  open_file_cache max=15000 inactive=60s;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port};
    location ~ "^/jwt/v1/accounts/(A[A-Z2-7]{53}([A-Z2-7]{2}))$" {
      default_type application/jwt;
      alias ${dir}/$2/$1.jwt;
    }
  }
}
`)
  const child = spawn('nginx', ['-c', join(prefix, 'nginx.conf'), '-p', prefix], { stdio: 'ignore' })
  const base = `http://127.0.0.1:${port}`
  await waitUntilServing(`${base}/`, (status) => status > 0, 'nginx')
  return { child, base }
}

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}
