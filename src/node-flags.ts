/**
 * The V8 settings every nats-accounts process runs with: `npm start`, the Docker image, each
 * `--workers` worker, and the benchmarks (a test holds them to this list). Both trade a little
 * more garbage collection for memory; docs/design-measurements.md has the measurements.
 * - A 2 MB young generation (V8's default grows to 16 MB per semi-space).
 * - An old generation allowed to grow 20 % past what the last full collection kept, instead of
 *   V8's dynamic factor (up to 4×): the heap committed after the cache filled with 100,000
 *   accounts was 100 MB for 65 MB in use.
 * @module
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--heap-growing-percent=20']

/** The flag's name, `--name` of `--name=value`. */
export const flagName = (flag: string): string => flag.split('=')[0]!
