/** The console's small pages: sign-in, and errors. @module */
import type { FC } from 'hono/jsx'
import { Page } from '../layout.js'

export const SignInPage: FC<{ admin: boolean; failed: boolean; available: boolean }> = ({ admin, failed, available }) => (
  <Page title="Sign in" admin={admin}>
    <h1>Admin sign-in</h1>
    {admin ? (
      <>
        <p>You are signed in as an admin: re-sending notifications and deleting accounts are available on each account's page.</p>
        <form method="post" action="/ui/sign-out">
          <button type="submit">Sign out</button>
        </form>
      </>
    ) : available ? (
      <>
        {failed && <p class="notice bad">That is not the admin token.</p>}
        <p class="sub">
          The token is the content of the server's <code>--admin-token-file</code>. Without it the console is read-only (or, with{' '}
          <code>--api-auth</code>, closed).
        </p>
        <form method="post" action="/ui/sign-in" class="search">
          <div>
            <label for="token">Admin token</label>
            <input id="token" name="token" type="password" autocomplete="current-password" required />
          </div>
          <button type="submit">Sign in</button>
        </form>
      </>
    ) : (
      <p class="notice">
        No admin token is configured: start the server with <code>--admin-token-file &lt;file&gt;</code> to allow admin actions.
      </p>
    )}
  </Page>
)

export const ErrorPage: FC<{ status: number; message: string; admin: boolean }> = ({ status, message, admin }) => (
  <Page title={`Error ${status}`} admin={admin}>
    <h1>{status === 404 ? 'Not found' : status === 401 || status === 403 ? 'Not allowed' : 'Cannot show this page'}</h1>
    <p class="notice bad">{message}</p>
    <p>
      <a href="/ui/">Back to the accounts</a>
    </p>
  </Page>
)
