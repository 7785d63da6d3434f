// The JSON API as the dashboard calls it (the user's API key, problem+json errors), and the table every page lists with.
import { h } from './dom.js';

// With API keys configured, the key the user types is kept in this tab's sessionStorage only: never in
// localStorage, a cookie or the URL, so it is gone when the tab closes and no other site can send it.
export const KEY = 'distillery-api-key';

export class NeedsKey extends Error {}

export async function api(path, init = {}) {
  const key = sessionStorage.getItem(KEY);
  const headers = { ...init.headers, ...(key ? { authorization: `Bearer ${key}` } : {}) };
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401) throw new NeedsKey(key ? 'that API key was not accepted' : '');
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  if (!res.ok)
    throw new Error(
      body?.detail ? `${body.detail}${body.hint ? ` (${body.hint})` : ''}` : `${res.status} ${res.statusText}`,
    );
  return body;
}
export const postJson = (path, body) =>
  api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

export function table(id, headers, rows) {
  return h(
    'table.ops',
    { id },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((c) => h('th', {}, c)),
      ),
    ),
    h('tbody', {}, rows),
  );
}
