/** The fleet page: the nats-servers seen through the system account, and the drifted accounts. @module */
import type { FC } from 'hono/jsx'
import type { FleetServer } from '../../accounts/ports.js'
import { accountHref, Badge, Page, shortKey, When } from '../layout.js'

export type DriftedAccount = { pubkey: string; name: string; servers: string[] }

export type FleetPageProps = {
  /** null: NATS is not configured, so there is no fleet to see. */
  servers: readonly FleetServer[] | null
  drifted: readonly DriftedAccount[]
  now: number
  admin: boolean
}

export const FleetPage: FC<FleetPageProps> = ({ servers, drifted, now, admin }) => (
  <Page title="Fleet" section="fleet" admin={admin}>
    <h1>Fleet</h1>
    {servers === null ? (
      <p class="notice">NATS is not configured (start with <code>-nats</code> and system account credentials): no nats-server is watched.</p>
    ) : (
      <>
        <p class="sub">
          {servers.length} nats-server{servers.length === 1 ? '' : 's'} seen · {drifted.length} drifted account{drifted.length === 1 ? '' : 's'}
        </p>
        <h2>Servers</h2>
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Version</th>
                <th scope="col">Cluster</th>
                <th scope="col">JetStream</th>
                <th scope="col">Last seen</th>
                <th scope="col" class="hide-sm">ID</th>
              </tr>
            </thead>
            <tbody>
              {servers.map((s) => (
                <tr>
                  <td>{s.name}</td>
                  <td class="mono">{s.version}</td>
                  <td>{s.cluster ?? <span class="muted">none</span>}</td>
                  <td>{s.jetstream ? <Badge tone="ok">enabled</Badge> : <span class="muted">off</span>}</td>
                  <td>
                    <When ms={s.lastSeen} now={now} />
                  </td>
                  <td class="mono hide-sm" title={s.id}>
                    {shortKey(s.id)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <h2>Drifted accounts</h2>
        {drifted.length === 0 ? (
          <p class="muted">Every server runs the stored version of every account it uses.</p>
        ) : (
          <div class="scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Account</th>
                  <th scope="col">Servers running an older version</th>
                </tr>
              </thead>
              <tbody>
                {drifted.map((d) => (
                  <tr>
                    <td>
                      <a href={accountHref(d.pubkey)}>{d.name || shortKey(d.pubkey)}</a>
                    </td>
                    <td>{d.servers.join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </>
    )}
  </Page>
)
