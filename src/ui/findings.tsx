/**
 * Check findings as tables: on an account's page, and grouped by code on the checks page.
 * @module
 */
import type { FC } from 'hono/jsx'
import type { Finding } from '../checks/index.js'
import { accountHref, Badge, shortKey } from './layout.js'

export const Severity: FC<{ severity: string }> = ({ severity }) => (
  <Badge tone={severity === 'error' ? 'bad' : severity === 'warning' ? 'warn' : 'info'}>{severity}</Badge>
)

/** One row per finding; `withAccount` adds the column naming the account it is about. */
export const FindingTable: FC<{ findings: readonly Finding[]; withAccount?: boolean; caption?: string }> = ({ findings, withAccount = false, caption }) => (
  <div class="scroll">
    <table>
      {caption && <caption class="muted">{caption}</caption>}
      <thead>
        <tr>
          <th scope="col">Severity</th>
          {withAccount ? <th scope="col">Account</th> : <th scope="col">Code</th>}
          <th scope="col">Finding</th>
          <th scope="col" class="hide-sm">Other account</th>
        </tr>
      </thead>
      <tbody>
        {findings.map((f) => (
          <tr>
            <td>
              <Severity severity={f.severity} />
            </td>
            {withAccount ? (
              <td>
                <a href={accountHref(f.account)}>{f.name || shortKey(f.account)}</a>
              </td>
            ) : (
              <td class="mono">{f.code}</td>
            )}
            <td>
              {f.message}
              {f.field && (
                <div class="muted">
                  field <code>{f.field}</code>
                </div>
              )}
            </td>
            <td class="hide-sm">{f.other ? <a href={accountHref(f.other)} class="mono">{shortKey(f.other)}</a> : '–'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
)
