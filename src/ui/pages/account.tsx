/** An account's page: summary, claims, raw JWT, history with diffs, findings, fleet state, admin actions. @module */
import type { FC } from 'hono/jsx'
import type { AccountOnServer } from '../../accounts/ports.js'
import type { ClaimsData } from '../../jwt/types.js'
import type { HistoryEntry } from '../../store/types.js'
import { ClaimSections } from '../claims.js'
import { FindingTable, type FindingView } from '../findings.js'
import { DiffView, Timeline, type Comparison } from '../history.js'
import { Badge, Facts, Key, Page, When } from '../layout.js'

export type AccountView = {
  pubkey: string
  name: string
  issuer: string
  issuerKind: string
  iat: number
  exp: number
  jti: string
  jwt: string
  claims: ClaimsData
}

export type AccountPageProps = {
  account: AccountView
  /** Newest first; null when the store keeps no history. */
  history: HistoryEntry[] | null
  comparison: Comparison | null
  findings: readonly FindingView[]
  /** null: NATS is not configured. */
  fleet: readonly AccountOnServer[] | null
  admin: boolean
  /** What the last admin action did, shown once. */
  notice?: { text: string; bad?: boolean }
  now: number
}

/** What the delete form asks to be typed: the name, or the key of an account without one. */
export function confirmationOf(account: Pick<AccountView, 'name' | 'pubkey'>): string {
  return account.name || account.pubkey
}

const FleetState: FC<{ fleet: readonly AccountOnServer[] | null; jti: string }> = ({ fleet, jti }) => {
  if (fleet === null) return <p class="muted">NATS is not configured: no nats-server is watched.</p>
  if (fleet.length === 0) return <p class="muted">No nats-server has reported this account yet.</p>
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">Server</th>
            <th scope="col">Version it runs (jti)</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
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
        </tbody>
      </table>
    </div>
  )
}

const AdminActions: FC<{ account: AccountView }> = ({ account }) => {
  const confirm = confirmationOf(account)
  return (
    <section class="card" aria-labelledby="admin">
      <h2 id="admin">Admin actions</h2>
      <div class="actions">
        <form method="post" action={`/ui/accounts/${account.pubkey}/notify`}>
          <button type="submit">Send the update notification again</button>
        </form>
        <form method="post" action={`/ui/accounts/${account.pubkey}/delete`} data-confirm={confirm}>
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

export const AccountPage: FC<AccountPageProps> = ({ account, history, comparison, findings, fleet, admin, notice, now }) => (
  <Page title={account.name || account.pubkey} section="accounts" admin={admin}>
    <p>
      <a href="/ui/">← Accounts</a>
    </p>
    <h1>{account.name || '(no name)'}</h1>
    <p class="sub">
      <Key value={account.pubkey} />
    </p>
    {notice && <p class={notice.bad ? 'notice bad' : 'notice'}>{notice.text}</p>}
    <section class="card" aria-labelledby="summary">
      <h2 id="summary">Summary</h2>
      <Facts
        rows={[
          ['Issued', <When seconds={account.iat} now={now} />],
          ['Expires', <When seconds={account.exp} now={now} never="never" />],
          ['Signed by', <><Key value={account.issuer} short /> ({account.issuerKind})</>],
          ['JWT id (jti)', <span class="mono">{account.jti}</span>],
          ['Findings', findings.length === 0 ? 'none' : <a href="#findings">{findings.length}</a>],
        ]}
      />
    </section>
    {admin && <AdminActions account={account} />}
    <h2>Claims</h2>
    <ClaimSections claims={account.claims} now={now} />
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
        <DiffView pubkey={account.pubkey} history={history} comparison={comparison} />
        <h3>Timeline</h3>
        <Timeline pubkey={account.pubkey} history={history} now={now} />
      </>
    )}
    <h2 id="jwt">Raw JWT</h2>
    <p>
      <button type="button" class="copy" data-copy={account.jwt} data-what="JWT">
        Copy JWT
      </button>{' '}
      <a href={`/jwt/v1/accounts/${account.pubkey}?decode=true`}>decoded as the Go server shows it</a>
    </p>
    <pre class="wrap" aria-label="The account JWT">
      {account.jwt}
    </pre>
  </Page>
)
