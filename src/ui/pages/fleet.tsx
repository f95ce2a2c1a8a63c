/** The fleet page: the nats-servers seen through the system account, and the drifted accounts. @module */
import type { FC } from 'hono/jsx'
import type { FleetServer } from '../../accounts/ports.js'
import { accountHref, Badge, Page, shortKey, Table, When } from '../layout.js'

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
        <Table columns={['Name', 'Version', 'Cluster', 'JetStream', 'Last seen', { label: 'ID', wide: true }]}>
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
        </Table>
        <h2>Drifted accounts</h2>
        {drifted.length === 0 ? (
          <p class="muted">Every server runs the stored version of every account it uses.</p>
        ) : (
          <Table columns={['Account', 'Servers running an older version']}>
                {drifted.map((d) => (
                  <tr>
                    <td>
                      <a href={accountHref(d.pubkey)}>{d.name || shortKey(d.pubkey)}</a>
                    </td>
                    <td>{d.servers.join(', ')}</td>
                  </tr>
                ))}
          </Table>
        )}
      </>
    )}
  </Page>
)
