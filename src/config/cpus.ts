/**
 * How many CPUs this process may use: `os.availableParallelism()` (which already honours CPU
 * affinity and cpusets), capped by the CFS quota of its cgroup — what `docker run --cpus`, a
 * Kubernetes CPU limit and systemd's `CPUQuota=` set, and what the CPU count alone does not show.
 * @module
 */
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'

export type CgroupPaths = {
  /** Where the cgroup filesystems are mounted. */
  root: string
  /** The process's cgroup membership (`/proc/self/cgroup` format). */
  membership: string
}

export const SYSTEM_CGROUPS: CgroupPaths = { root: '/sys/fs/cgroup', membership: '/proc/self/cgroup' }

/** At least 1, at most the CPUs the scheduler offers and the cgroup quota allows. */
export function usableCpus(paths: CgroupPaths = SYSTEM_CGROUPS): number {
  return Math.max(1, Math.min(availableParallelism(), cgroupCpuQuota(paths) ?? Infinity))
}

/**
 * The tightest quota between the process's cgroup and the root, in CPUs rounded up; null when
 * none is set. cgroup v2: `cpu.max` ("max 100000" is no limit, "200000 100000" two CPUs);
 * cgroup v1: `cpu.cfs_quota_us` (-1 is no limit) over `cpu.cfs_period_us`.
 */
export function cgroupCpuQuota(paths: CgroupPaths = SYSTEM_CGROUPS): number | null {
  const membership = readOrEmpty(paths.membership)
  const quotas: (number | null)[] = []
  const v2Path = /^0::(.*)$/m.exec(membership)?.[1] ?? '/'
  for (const dir of ancestors(paths.root, v2Path)) {
    const [quota, period] = readOrEmpty(join(dir, 'cpu.max')).split(/\s+/)
    quotas.push(cpusOf(quota, period))
  }
  const v1Path = membership
    .split('\n')
    .map((line) => line.split(':'))
    .find(([, controllers]) => controllers?.split(',').includes('cpu'))?.[2] ?? '/'
  // Distributions mount the v1 cpu controller as `cpu` or `cpu,cpuacct` (often one a link to the other).
  for (const mount of ['cpu', 'cpu,cpuacct']) {
    for (const dir of ancestors(join(paths.root, mount), v1Path)) {
      quotas.push(cpusOf(readOrEmpty(join(dir, 'cpu.cfs_quota_us')), readOrEmpty(join(dir, 'cpu.cfs_period_us'))))
    }
  }
  const set = quotas.filter((quota): quota is number => quota !== null)
  return set.length > 0 ? Math.min(...set) : null
}

function cpusOf(quota: string | undefined, period: string | undefined): number | null {
  const quotaUs = Number(quota)
  const periodUs = Number(period)
  if (!quota || !period || !(quotaUs > 0) || !(periodUs > 0)) return null
  return Math.max(1, Math.ceil(quotaUs / periodUs))
}

/** `<root>/<path>` and each of its parents up to `root` itself. */
function ancestors(root: string, path: string): string[] {
  const parts = path.split('/').filter((part) => part !== '' && part !== '.' && part !== '..')
  return parts.map((_, i) => join(root, ...parts.slice(0, parts.length - i))).concat(root)
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim()
  } catch {
    return ''
  }
}
