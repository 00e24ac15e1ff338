// A real OpenID Connect provider (oidc-provider) standing in for the
// exam-registration platform in zhengshu's tests.
//
//   node provider.mjs CONFIG.json
//
// CONFIG: {"clients": [{client_id, client_secret, redirect_uris}],
//          "accounts": {"<login>": {"password": "…", "claims": {…}}}}
// Listens on 127.0.0.1, on a port the system picks, and prints
// "listening http://127.0.0.1:PORT" once it answers. Log-in is a plain
// form (login and password) served here, with no outside resources;
// consent is implied for the configured clients (first-party, as the
// platform is to zhengshu).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const claimNames = [...new Set(Object.values(config.accounts).flatMap((a) => Object.keys(a.claims)))];

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, error) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Exam registration platform: sign in</title></head><body>
<h1>Exam registration platform</h1>
${error ? `<p id="error" role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}">
<label>Login <input id="login" name="login" autocomplete="username" required></label>
<label>Password <input id="password" name="password" type="password" required></label>
<button id="sign-in" type="submit">Sign in</button>
</form></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 65536) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: config.clients.map((c) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      ...c,
    })),
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], profile: claimNames },
    // The claims of the scopes granted go into the ID token itself.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, id) {
      const account = config.accounts[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...account.claims }) };
    },
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid profile');
      grant.addOIDCClaims(claimNames);
      await grant.save();
      return grant;
    },
  });
  const callback = provider.callback();
  server.on('request', async (req, res) => {
    const m = /^\/interaction\/([\w-]+)$/.exec(req.url);
    if (!m) {
      callback(req, res);
      return;
    }
    try {
      const details = await provider.interactionDetails(req, res);
      if (req.method === 'POST') {
        const form = await readForm(req);
        const login = form.get('login') ?? '';
        const account = config.accounts[login];
        if (account && account.password === form.get('password')) {
          await provider.interactionFinished(req, res, { login: { accountId: login } }, {
            mergeWithLastSubmission: false,
          });
          return;
        }
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(loginPage(details.uid, 'Wrong login or password'));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(loginPage(details.uid));
    } catch (e) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`interaction: ${e.message}`);
    }
  });
  console.log(`listening ${issuer}`);
});
