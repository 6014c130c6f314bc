// A real OpenID Connect provider (oidc-provider from npm) standing in for Feide in the tests.
//
//   node tests/lms/feide_provider.mjs CONFIG.json
//
// CONFIG.json: {"port", "issuer", "jwks": {"keys": [private RSA JWK]}, "clients": [client metadata]}.
// It answers like Feide where the sign-in depends on it: discovery, the authorisation-code flow with
// PKCE (S256 only, required), RS256 id_tokens that carry only the minimum, name and e-mail from
// userinfo (email_verified false), the Feide scopes (attribute groups) and RP-initiated logout.
//
// Instead of a login page, the interaction takes the person as form fields (what Feide's login
// would know about them): POST /interaction/<uid> with sub, name, email and eppn. A grant for every
// requested scope is made at once, as when the municipality has approved the service for its users.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = new Map();

const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: config.jwks,
  scopes: ['openid', 'profile', 'email', 'userid-feide', 'groups-org'],
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
    'userid-feide': ['https://n.feide.no/claims/eduPersonPrincipalName'],
  },
  // As in Feide, the id_token carries the minimum; the rest comes from userinfo.
  conformIdTokenClaims: true,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
  },
  cookies: { keys: ['feide-stand-in-cookie-key-0123456789'] },
  async findAccount(ctx, id) {
    const person = accounts.get(id);
    if (!person) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          name: person.name,
          email: person.email,
          email_verified: false,
          'https://n.feide.no/claims/eduPersonPrincipalName': person.eppn,
        };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const grant = await ctx.oidc.provider.Grant.find(grantId);
      if (grant) return grant;
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(ctx.oidc.params.scope);
    await grant.save();
    return grant;
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(Object.fromEntries(new URLSearchParams(body))));
    req.on('error', reject);
  });
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  try {
    if (req.url.startsWith('/interaction/')) {
      const details = await provider.interactionDetails(req, res);
      if (req.method !== 'POST') {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`login for ${details.params.client_id}: POST sub, name, email, eppn\n`);
        return;
      }
      const form = await readForm(req);
      accounts.set(form.sub, { name: form.name, email: form.email, eppn: form.eppn });
      await provider.interactionFinished(req, res, { login: { accountId: form.sub } }, { mergeWithLastSubmission: false });
      return;
    }
    callback(req, res);
  } catch (err) {
    console.error(err);
    res.writeHead(500);
    res.end(String(err));
  }
});
server.listen(config.port, '127.0.0.1', () => console.log(`ready ${config.issuer}`));
