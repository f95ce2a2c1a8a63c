/** The checks page: every finding of the cross-account checks, grouped by code. @module */
import type { FC } from 'hono/jsx'
import type { Finding } from '../../checks/index.js'
import { FindingTable, Severity } from '../findings.js'
import { Page } from '../layout.js'

export type ChecksPageProps = { findings: readonly Finding[]; admin: boolean }

const SEVERITY_ORDER: Record<string, number> = { error: 0, warning: 1 }

export const ChecksPage: FC<ChecksPageProps> = ({ findings, admin }) => {
  const groups = new Map<string, Finding[]>()
  for (const finding of findings) groups.set(finding.code, [...(groups.get(finding.code) ?? []), finding])
  const ordered = [...groups].sort(
    ([a, x], [b, y]) => (SEVERITY_ORDER[x[0]!.severity] ?? 2) - (SEVERITY_ORDER[y[0]!.severity] ?? 2) || a.localeCompare(b),
  )
  return (
    <Page title="Checks" section="checks" admin={admin}>
      <h1>Checks</h1>
      <p class="sub">
        {findings.length === 0
          ? 'No findings: every import, auth callout and issuer checks out.'
          : `${findings.length} finding${findings.length === 1 ? '' : 's'} in ${groups.size} group${groups.size === 1 ? '' : 's'}.`}
      </p>
      {groups.size > 0 && (
        <nav aria-label="Finding codes">
          <ul>
            {ordered.map(([code, list]) => (
              <li>
                <a href={`#${code}`}>{code}</a> <Severity severity={list[0]!.severity} /> {list.length}
              </li>
            ))}
          </ul>
        </nav>
      )}
      {ordered.map(([code, list]) => (
        <section aria-labelledby={code}>
          <h2 id={code}>
            <code>{code}</code> <span class="muted">({list.length})</span>
          </h2>
          <FindingTable findings={list} withAccount />
        </section>
      ))}
    </Page>
  )
}
