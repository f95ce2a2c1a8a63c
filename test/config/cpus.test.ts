/**
 * `--workers auto` and the container's CPU limit: real files laid out as the kernel lays out
 * /sys/fs/cgroup (v2 and v1) and /proc/self/cgroup, in a temp directory.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cgroupCpuQuota, usableCpus, type CgroupPaths } from '../../src/config/cpus.js'
import { workerCount } from '../../src/config/load.js'
import { tempDir } from '../helpers/tmp.js'

/** Writes `files` (path under the cgroup root → content) and the membership lines. */
async function cgroups(files: Record<string, string>, membership: string): Promise<CgroupPaths> {
  const dir = await tempDir()
  const root = join(dir, 'sys/fs/cgroup')
  await mkdir(root, { recursive: true })
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true })
    await writeFile(join(root, path), `${content}\n`)
  }
  await writeFile(join(dir, 'cgroup'), membership)
  return { root, membership: join(dir, 'cgroup') }
}

const V2_CONTAINER = '0::/\n'
const V1_CONTAINER = '12:pids:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n'

describe('cgroup v2 cpu.max', () => {
  it.each([
    ['max 100000', null],
    ['200000 100000', 2],
    ['150000 100000', 2],
    ['50000 100000', 1],
    ['100000 100000', 1],
  ])('"%s" is %s CPUs', async (cpuMax, expected) => {
    expect(cgroupCpuQuota(await cgroups({ 'cpu.max': cpuMax }, V2_CONTAINER))).toBe(expected)
  })

  it('takes the tightest quota from the process cgroup up to the root (systemd CPUQuota=)', async () => {
    const paths = await cgroups(
      {
        'system.slice/cpu.max': '300000 100000',
        'system.slice/nats-accounts.service/cpu.max': 'max 100000',
        'user.slice/cpu.max': '100000 100000',
      },
      '0::/system.slice/nats-accounts.service\n',
    )
    expect(cgroupCpuQuota(paths)).toBe(3)
  })
})

describe('cgroup v1 cpu.cfs_quota_us / cpu.cfs_period_us', () => {
  it('-1 is no limit', async () => {
    const paths = await cgroups({ 'cpu,cpuacct/cpu.cfs_quota_us': '-1', 'cpu,cpuacct/cpu.cfs_period_us': '100000' }, V1_CONTAINER)
    expect(cgroupCpuQuota(paths)).toBeNull()
  })

  it('a container quota, mounted at its own cgroup (not under the path /proc names)', async () => {
    const paths = await cgroups({ 'cpu,cpuacct/cpu.cfs_quota_us': '250000', 'cpu,cpuacct/cpu.cfs_period_us': '100000' }, V1_CONTAINER)
    expect(cgroupCpuQuota(paths)).toBe(3)
  })

  it('the controller mounted as cpu, quota on the process cgroup', async () => {
    const paths = await cgroups(
      {
        'cpu/cpu.cfs_quota_us': '-1',
        'cpu/cpu.cfs_period_us': '100000',
        'cpu/kubepods/pod1/cpu.cfs_quota_us': '100000',
        'cpu/kubepods/pod1/cpu.cfs_period_us': '100000',
      },
      '3:cpu:/kubepods/pod1\n',
    )
    expect(cgroupCpuQuota(paths)).toBe(1)
  })
})

describe('usable CPUs and --workers auto', () => {
  it('without cgroup files (or membership) there is no quota', async () => {
    const dir = await tempDir()
    const paths = { root: join(dir, 'none'), membership: join(dir, 'missing') }
    expect(cgroupCpuQuota(paths)).toBeNull()
    expect(usableCpus(paths)).toBe(availableParallelism())
  })

  it('a quota above the CPU count leaves the CPU count', async () => {
    const paths = await cgroups({ 'cpu.max': `${(availableParallelism() + 4) * 100000} 100000` }, V2_CONTAINER)
    expect(usableCpus(paths)).toBe(availableParallelism())
  })

  it('auto follows a one-CPU container limit', async () => {
    expect(workerCount('auto', await cgroups({ 'cpu.max': '100000 100000' }, V2_CONTAINER))).toBe(1)
    const v1 = await cgroups({ 'cpu,cpuacct/cpu.cfs_quota_us': '80000', 'cpu,cpuacct/cpu.cfs_period_us': '100000' }, V1_CONTAINER)
    expect(workerCount('AUTO', v1)).toBe(1)
  })

  it('auto on this machine: at least 1, at most the CPU count', () => {
    const count = workerCount('auto')
    expect(count).toBeGreaterThanOrEqual(1)
    expect(count).toBeLessThanOrEqual(availableParallelism())
  })
})
