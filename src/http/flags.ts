import type { Context } from 'hono'

/** The Go server's reading of `?x=`: true iff the first value, lower-cased, is "true". */
export function flag(c: Context, name: string): boolean {
  return c.req.query(name)?.toLowerCase() === 'true'
}
