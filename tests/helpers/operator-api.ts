/**
 * Talks to a gateway's HTTP API as a demo operator of the simulated district (password
 * `demo-pass-<username>`): logs in once per username and sends the bearer token.
 */
export interface OperatorApi {
  /** Logs in and returns a fresh bearer token. */
  login(username?: string): Promise<string>;
  /** fetch() as `as` (default `admin`); `as: null` sends no token; a string body is sent as JSON. */
  api(path: string, init?: RequestInit & { as?: string | null }): Promise<Response>;
}

export function operatorApi(baseUrl: string): OperatorApi {
  const tokens = new Map<string, Promise<string>>();
  const login = async (username = 'admin') => {
    const res = await fetch(`${baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: `demo-pass-${username}` }),
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status !== 200) throw new Error(`login as ${username}: HTTP ${res.status} ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  };
  return {
    login,
    async api(path, init = {}) {
      const { as = 'admin', ...rest } = init;
      const headers = new Headers(rest.headers);
      if (as !== null) {
        let token = tokens.get(as);
        if (!token) {
          token = login(as);
          tokens.set(as, token);
          token.catch(() => tokens.delete(as));
        }
        headers.set('authorization', `Bearer ${await token}`);
      }
      if (typeof rest.body === 'string' && !headers.has('content-type')) headers.set('content-type', 'application/json');
      return fetch(`${baseUrl}${path}`, { ...rest, headers });
    },
  };
}
