/** An account's page: summary, claims, raw JWT, history with diffs, findings, fleet state, admin actions. @module */
import type { FC } from 'hono/jsx'
import type { AccountDetail } from '../../accounts/overview.js'
import type { AccountOnServer } from '../../accounts/ports.js'
import type { ClaimsData } from '../../jwt/types.js'
import { ClaimSections } from '../claims.js'
import { FindingTable } from '../findings.js'
import { DiffView, Timeline, type Comparison } from '../history.js'
import { Badge, Facts, IssuerKind, Key, Page, Table, When } from '../layout.js'

export type AccountPageProps = {
  account: AccountDetail
  comparison: Comparison | null
  admin: boolean
  /** What the last admin action did, shown once. */
  notice?: { text: string; bad?: boolean }
  now: number
}

/** What the delete form asks to be typed: the name, or the key of an account without one. */
export function confirmationOf(account: Pick<AccountDetail, 'name' | 'key'>): string {
  return account.name || account.key
}

const FleetState: FC<{ fleet: readonly AccountOnServer[] | null; jti: string }> = ({ fleet, jti }) => {
  if (fleet === null) return <p class="muted">NATS is not configured: no nats-server is watched.</p>
  if (fleet.length === 0) return <p class="muted">No nats-server has reported this account yet.</p>
  return (
    <Table columns={['Server', 'Version it runs (jti)', 'State']}>
          {fleet.map((s) => (
            <tr>
              <td>{s.server}</td>
              <td class="mono">{s.jti ?? '–'}</td>
              <td>
                {s.jti === null ? (
                  <span class="muted">not loaded</span>
                ) : s.drifted ? (
                  <Badge tone="bad">drifted</Badge>
                ) : s.jti === jti ? (
                  <Badge tone="ok">current</Badge>
                ) : (
                  <Badge tone="warn">other version</Badge>
                )}
              </td>
            </tr>
          ))}
    </Table>
  )
}

const AdminActions: FC<{ account: AccountDetail }> = ({ account }) => {
  const confirm = confirmationOf(account)
  return (
    <section class="card" aria-labelledby="admin">
      <h2 id="admin">Admin actions</h2>
      <div class="actions">
        <form method="post" action={`/ui/accounts/${account.key}/notify`}>
          <button type="submit">Send the update notification again</button>
        </form>
        <form method="post" action={`/ui/accounts/${account.key}/delete`} data-confirm={confirm}>
          <div>
            <label for="confirm">
              Type <strong class="mono">{confirm}</strong> to delete this account
            </label>
            <input id="confirm" name="confirm" autocomplete="off" required />
          </div>
          <button type="submit" class="danger">
            Delete account
          </button>
        </form>
      </div>
    </section>
  )
}

export const AccountPage: FC<AccountPageProps> = ({ account, comparison, admin, notice, now }) => {
  const { history, finding_list: findings, fleet } = account
  return (
  <Page title={account.name || account.key} section="accounts" admin={admin}>
    <p>
      <a href="/ui/">← Accounts</a>
    </p>
    <h1>
      {account.name || '(no name)'} {account.status !== 'active' && <Badge tone="bad">{account.status}</Badge>}
    </h1>
    <p class="sub">
      <Key value={account.key} />
    </p>
    <nav aria-label="On this page">
      <ul class="toc">
        <li><a href="#claims">Claims</a></li>
        <li><a href="#findings">Findings ({findings.length})</a></li>
        <li><a href="#fleet">Fleet state</a></li>
        <li><a href="#history">History{history ? ` (${history.length})` : ''}</a></li>
        <li><a href="#diff">Compare versions</a></li>
        <li><a href="#jwt">Raw JWT</a></li>
      </ul>
    </nav>
    {notice && <p class={notice.bad ? 'notice bad' : 'notice'}>{notice.text}</p>}
    <section class="card" aria-labelledby="summary">
      <h2 id="summary">Summary</h2>
      <Facts
        rows={[
          ['Issued', <When seconds={account.iat} now={now} />],
          ['Expires', <When seconds={account.exp} now={now} never="never" />],
          ['Signed by', <><Key value={account.issuer} short /> <IssuerKind kind={account.issuer_kind} /></>],
          ['JWT id (jti)', <span class="mono">{account.jti}</span>],
          ['Findings', findings.length === 0 ? 'none' : <a href="#findings">{findings.length}</a>],
        ]}
      />
    </section>
    {admin && account.status !== 'deleted' && <AdminActions account={account} />}
    <h2 id="claims">Claims</h2>
    <ClaimSections claims={account.claims as ClaimsData} now={now} />
    <h2 id="findings">Check findings</h2>
    {findings.length === 0 ? <p class="muted">No findings.</p> : <FindingTable findings={findings} />}
    <h2 id="fleet">Fleet state</h2>
    <FleetState fleet={fleet} jti={account.jti} />
    <h2 id="history">History</h2>
    {history === null ? (
      <p class="muted">This store keeps no history (only SQLite does).</p>
    ) : (
      <>
        <h3 id="diff">Compare two versions</h3>
        <DiffView pubkey={account.key} history={history} comparison={comparison} />
        <h3>Timeline</h3>
        <Timeline pubkey={account.key} history={history} now={now} />
      </>
    )}
    <h2 id="jwt">Raw JWT</h2>
    <p>
      <button type="button" class="copy" data-copy={account.jwt} data-what="JWT">
        Copy JWT
      </button>{' '}
      <a href={`/jwt/v1/accounts/${account.key}?decode=true`}>decoded as the Go server shows it</a>
    </p>
    <pre class="wrap" aria-label="The account JWT">
      {account.jwt}
    </pre>
  </Page>
  )
}
