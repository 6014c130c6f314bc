// An LMS's side of LTI Dynamic Registration, on a real OpenID provider (oidc-provider from npm).
//
//   node tests/lms/lms_registration_provider.mjs CONFIG.json
//
// CONFIG.json: {"port", "issuer", "jwks": {"keys": [private JWK]}, "registration_token", "deployment_id"}.
// Discovery carries the LTI platform configuration; the registration endpoint takes a tool's client
// metadata with its LTI tool configuration (behind the registration token) and, as Moodle does,
// answers with the client id and the deployment it made for the tool.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const TOOL = 'https://purl.imsglobal.org/spec/lti-tool-configuration';
const PLATFORM = 'https://purl.imsglobal.org/spec/lti-platform-configuration';

const provider = new Provider(config.issuer, {
  jwks: config.jwks,
  responseTypes: ['id_token', 'code', 'none'],
  clientAuthMethods: ['private_key_jwt', 'client_secret_basic', 'none'],
  scopes: ['openid', 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    registration: { enabled: true, initialAccessToken: config.registration_token },
  },
  extraClientMetadata: {
    properties: [TOOL, 'scope'],
    validator(ctx, key, value, metadata) {
      if (key !== TOOL || value === undefined) return;
      if (!value || typeof value.domain !== 'string' || !Array.isArray(value.messages)) {
        throw new errors.InvalidClientMetadata('the LTI tool configuration needs a domain and messages');
      }
      metadata[key] = { ...value, deployment_id: config.deployment_id };
    },
  },
  discovery: {
    [PLATFORM]: {
      product_family_code: 'moodle', version: '4.5',
      messages_supported: [{ type: 'LtiResourceLinkRequest' }, { type: 'LtiDeepLinkingRequest' }],
    },
  },
  cookies: { keys: ['registration-stand-in-cookie-key-0123'] },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));
http.createServer(provider.callback()).listen(config.port, '127.0.0.1', () => console.log(`ready ${config.issuer}`));
