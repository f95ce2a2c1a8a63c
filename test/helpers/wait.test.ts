import { describe, expect, it } from 'vitest'
import { waitFor } from './wait.js'

describe('waitFor', () => {
  it('resolves with the first value that is not undefined, null or false', async () => {
    let calls = 0
    const value = await waitFor(() => (++calls < 3 ? (calls === 1 ? null : false) : calls), {
      intervalMs: 1,
    })
    expect(value).toBe(3)
  })

  it('times out with the message', async () => {
    const started = Date.now()
    await expect(waitFor(() => false, { timeoutMs: 100, message: 'the moon' })).rejects.toThrow(
      'waitFor: the moon not met within 100 ms',
    )
    expect(Date.now() - started).toBeLessThan(1_000)
  })

  it('times out when a call hangs', async () => {
    const hang = () => new Promise<never>(() => {})
    await expect(waitFor(hang, { timeoutMs: 50, message: 'hang' })).rejects.toThrow(/hang not met/)
  })

  it('stops at the first exception', async () => {
    let calls = 0
    const fail = () => {
      calls++
      throw new Error('boom')
    }
    await expect(waitFor(fail, { timeoutMs: 1_000 })).rejects.toThrow('boom')
    expect(calls).toBe(1)
  })
})
