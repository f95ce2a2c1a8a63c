/**
 * The console's only style sheet and script, served by the app itself (no CDN: it works
 * offline). Their URLs carry a hash of the content, so browsers may keep them for good.
 * @module
 */
import { createHash } from 'node:crypto'

const STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--panel:#f6f8fa;--link:#0550ae;
--ok:#116329;--ok-bg:#dafbe1;--warn:#7d4e00;--warn-bg:#fff8c5;--bad:#a40e26;--bad-bg:#ffebe9;--info:#0550ae;--info-bg:#ddf4ff;
--add:#dafbe1;--del:#ffebe9;--focus:#0969da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;--line:#30363d;--panel:#161b22;--link:#79c0ff;
--ok:#7ee787;--ok-bg:#12361f;--warn:#e3b341;--warn-bg:#3b2e0a;--bad:#ffa198;--bad-bg:#4c1419;--info:#79c0ff;--info-bg:#0c2d6b;
--add:#12361f;--del:#4c1419;--focus:#58a6ff}}
*{box-sizing:border-box}
html{scrollbar-gutter:stable}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--link)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:var(--bg);padding:4px 8px;z-index:1}
header{border-bottom:1px solid var(--line);background:var(--panel)}
header nav,main{max-width:1200px;margin:0 auto;padding:0 16px}
header nav{display:flex;flex-wrap:wrap;gap:4px 20px;align-items:center;min-height:52px}
header nav strong{margin-right:8px}
header nav a{text-decoration:none;padding:4px 2px}
header nav a[aria-current=page]{font-weight:600;border-bottom:2px solid var(--link)}
header nav .who{margin-left:auto;color:var(--muted);font-size:13px}
main{padding-top:16px;padding-bottom:48px}
h1{font-size:22px;margin:8px 0 4px;overflow-wrap:anywhere}h2{font-size:18px;margin:28px 0 8px}h3{font-size:15px;margin:16px 0 6px}
.sub{color:var(--muted);margin:0 0 12px}
.scroll{overflow-x:auto;border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:middle}
tr:last-child td{border-bottom:0}
th{background:var(--panel);font-weight:600;white-space:nowrap}
th a{color:inherit}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code,.mono,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
pre{margin:0;padding:10px;background:var(--panel);border:1px solid var(--line);border-radius:6px;overflow-x:auto;white-space:pre}
pre.wrap{white-space:pre-wrap;word-break:break-all}
.badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;line-height:20px;white-space:nowrap;margin:1px 2px 1px 0;border:1px solid}
.b-ok{color:var(--ok);background:var(--ok-bg)}.b-warn{color:var(--warn);background:var(--warn-bg)}
.b-bad{color:var(--bad);background:var(--bad-bg)}.b-info{color:var(--info);background:var(--info-bg)}
.muted,time+.rel{color:var(--muted)}
.rel{font-size:13px}
form.search{display:flex;flex-wrap:wrap;gap:8px;align-items:end;margin:12px 0}
label{display:block;font-size:13px;color:var(--muted)}
input,select,button{font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:5px 10px;min-height:34px}
input[type=search]{min-width:min(320px,100%)}
button{background:var(--panel);cursor:pointer}
button:disabled{opacity:.55;cursor:not-allowed}
button.danger{color:var(--bad);border-color:var(--bad)}
button.copy{min-height:26px;padding:0 8px;font-size:12px;margin-left:6px}
button.sort{border:0;background:none;padding:0;min-height:0;font-weight:600;color:inherit}
th[aria-sort=ascending] button.sort::after{content:" ▲"}th[aria-sort=descending] button.sort::after{content:" ▼"}
.pager{display:flex;gap:16px;margin:12px 0;align-items:center}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
dl.kv dt{color:var(--muted)}dl.kv dd{margin:0;overflow-wrap:anywhere}
section.card{border:1px solid var(--line);border-radius:6px;padding:12px 14px;margin:12px 0}
section.card>h2:first-child,section.card>h3:first-child{margin-top:0}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(340px,100%),1fr));gap:0 16px;align-items:start}
.grid>.wide{grid-column:1/-1}
ul.toc{display:flex;flex-wrap:wrap;gap:4px 16px;list-style:none;padding:0;margin:8px 0}
ol.timeline{list-style:none;margin:0;padding:0;border-left:2px solid var(--line)}
ol.timeline li{margin:0 0 12px;padding-left:14px;position:relative}
ol.timeline li::before{content:"";position:absolute;left:-7px;top:7px;width:12px;height:12px;border-radius:50%;background:var(--link)}
ol.timeline li.deleted::before{background:var(--bad)}
.diff{padding:0}.diff div{padding:0 10px;white-space:pre}
.diff .added{background:var(--add)}.diff .removed{background:var(--del)}.diff .gap{color:var(--muted);font-style:italic}
.notice{padding:8px 12px;border-radius:6px;border:1px solid var(--line);background:var(--info-bg);margin:12px 0}
.notice.bad{background:var(--bad-bg)}
.actions{display:flex;flex-wrap:wrap;gap:16px;align-items:end}
.actions form{display:flex;flex-wrap:wrap;gap:8px;align-items:end}
[role=status]{min-height:1.5em}
@media (max-width:640px){body{font-size:14px}th,td{padding:5px 6px}.hide-sm{display:none}dl.kv{grid-template-columns:1fr}dl.kv dd{margin-bottom:6px}}
`

const SCRIPT = `
(() => {
  const say = (text) => { const live = document.getElementById('live'); if (live) live.textContent = text };
  const copy = async (text) => {
    try { await navigator.clipboard.writeText(text); return true } catch {
      const area = document.createElement('textarea'); area.value = text; area.setAttribute('readonly', '');
      area.style.position = 'fixed'; area.style.opacity = '0'; document.body.append(area); area.select();
      const done = document.execCommand('copy'); area.remove(); return done
    }
  };
  document.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-copy]');
    if (!button) return;
    say(await copy(button.dataset.copy) ? 'Copied ' + (button.dataset.what || '') : 'Copy failed: select the text and copy it');
  });
  for (const form of document.querySelectorAll('form[data-confirm]')) {
    const input = form.querySelector('input[name=confirm]');
    const submit = form.querySelector('button[type=submit]');
    const check = () => { submit.disabled = input.value.trim() !== form.dataset.confirm };
    input.addEventListener('input', check); check();
  }
  for (const table of document.querySelectorAll('table[data-sortable]')) {
    table.addEventListener('click', (event) => {
      const button = event.target.closest('button[data-sort]');
      if (!button) return;
      const header = button.parentElement;
      const column = Number(button.dataset.sort);
      const descending = header.getAttribute('aria-sort') === 'ascending';
      const body = table.tBodies[0];
      const value = (row) => row.cells[column]?.dataset.value ?? '';
      const rows = [...body.rows].sort((a, b) => {
        const [x, y] = [value(a), value(b)];
        const order = x !== '' && y !== '' && !isNaN(x) && !isNaN(y) ? x - y : x.localeCompare(y);
        return descending ? -order : order;
      });
      body.append(...rows);
      for (const th of table.tHead.rows[0].cells) if (th.hasAttribute('aria-sort')) th.setAttribute('aria-sort', 'none');
      header.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
      say('Sorted by ' + button.textContent + (descending ? ', descending' : ', ascending'));
    });
  }
})();
`

export type Asset = { path: string; body: string; type: string }

function asset(name: string, body: string, type: string): Asset {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 10)
  return { path: `/ui/${name}.${hash}.${name === 'style' ? 'css' : 'js'}`, body: body.trim(), type }
}

export const STYLE_SHEET = asset('style', STYLE, 'text/css; charset=utf-8')
export const CLIENT_SCRIPT = asset('app', SCRIPT, 'text/javascript; charset=utf-8')
