import { describe, expect, it } from 'vitest'
import {
  AccountServerError,
  ClaimsInvalidError,
  ConfigError,
  ConfigSyntaxError,
  DeletedAccountError,
  describeError,
  ErrorCode,
  StaleJwtError,
  StoreError,
  UsageError,
} from '../src/errors.js'

describe('errors', () => {
  it.each([
    [new AccountServerError(ErrorCode.NotFound, 'ACCT'), 'no matching account JWT: ACCT'],
    [new AccountServerError(ErrorCode.NotFound, ''), 'no matching account JWT'],
    [new AccountServerError(ErrorCode.BadParameter, 'max must be a number'), 'max must be a number'],
    [new StoreError('sqlite', 'write', 'disk full'), 'error saving JWT: [sqlite] disk full'],
    [new StoreError('directory', 'read', 'EIO'), 'error loading JWT: [directory] EIO'],
    [new ConfigError('bad port'), 'server configuration error: bad port'],
    [new UsageError('unknown flag -x'), 'unknown flag -x'],
    [
      new StaleJwtError({ pubkey: 'ACCT', iat: 1 }, { pubkey: 'ACCT', iat: 2 }),
      'stale JWT in request: the JWT for ACCT was issued at 1970-01-01T00:00:01Z (iat 1), before the stored JWT issued at 1970-01-01T00:00:02Z (iat 2); the stored JWT stays',
    ],
    [
      new DeletedAccountError({ pubkey: 'ACCT', iat: 1 }, { pubkey: 'ACCT', iat: 2 }),
      'deleted account: ACCT was deleted when it held the JWT issued at 1970-01-01T00:00:02Z (iat 2); only a JWT issued after that can re-create it',
    ],
    [
      new ClaimsInvalidError([
        { description: 'first', blocking: true, timeCheck: false },
        { description: 'second', blocking: false, timeCheck: false },
      ]),
      'One or more validation issues occurred: first; second',
    ],
  ])('%o opens with the words of its code', (err, line) => {
    expect(describeError(err)).toBe(line)
  })

  it('every class extends the base class, names itself and keeps its cause', () => {
    const cause = new Error('root')
    const errors = [
      new StoreError('memory', 'read', 'x', { cause }),
      new ConfigError('x', { cause }),
      new ConfigSyntaxError('a.conf', 3, 'x', { cause }),
      new UsageError('x', { cause }),
      new ClaimsInvalidError([], { cause }),
      new StaleJwtError({ pubkey: 'A', iat: 1 }, { pubkey: 'A', iat: 2 }, { cause }),
      new DeletedAccountError({ pubkey: 'A', iat: 1 }, { pubkey: 'A', iat: 2 }, { cause }),
    ]
    for (const err of errors) {
      expect(err).toBeInstanceOf(AccountServerError)
      expect(err.name).toBe(err.constructor.name)
      expect(err.cause).toBe(cause)
    }
  })

  it('a syntax error is a configuration error naming file and line', () => {
    const err = new ConfigSyntaxError('a.conf', 3, 'unexpected "}"')
    expect(err).toBeInstanceOf(ConfigError)
    expect(err).toMatchObject({ code: ErrorCode.Config, message: 'a.conf:3: unexpected "}"', file: 'a.conf', line: 3 })
    expect(new ConfigSyntaxError('a.conf', 0, 'ENOENT').message).toBe('a.conf: ENOENT')
  })
})
