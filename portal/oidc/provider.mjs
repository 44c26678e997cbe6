// A real, certified OpenID provider (oidc-provider) on loopback, for tests only: the
// portal signs in against it with the authorization code flow + PKCE, and the gateway
// and services verify its JWT access tokens through its JWKS.
//
//   node oidc/provider.mjs --port 9400 --audience urn:onedoor:gateway \
//     --redirect http://127.0.0.1:8000/auth/callback --accounts '{"liaison": {...claims}}'
//
// Prints one line of JSON once listening: {"issuer": ..., "jwks_uri": ...}.
// Accounts: login name → the OneDoor claims its access tokens carry (role, client, desk,
// products, partner). The dev login form takes any password.
// Keys: --keys '{"keys": [private RSA JWKs with kid]}' publishes them all and signs access
// tokens with --signing-kid (default: the first), so a test can rotate keys by restarting
// with a new set; without --keys one key is generated. --jwks-delay-ms makes the JWKS
// endpoint answer late, as an overloaded identity provider would.
import { generateKeyPairSync } from "node:crypto";
import { parseArgs } from "node:util";
import Provider from "oidc-provider";

const { values: args } = parseArgs({
  options: {
    port: { type: "string" },
    audience: { type: "string" },
    "client-id": { type: "string", default: "onedoor-portal" },
    redirect: { type: "string", multiple: true, default: [] },
    accounts: { type: "string", default: "{}" },
    "access-token-ttl": { type: "string", default: "3600" },
    keys: { type: "string" },
    "signing-kid": { type: "string" },
    "jwks-delay-ms": { type: "string", default: "0" },
  },
});
const accounts = JSON.parse(args.accounts);
const audience = args.audience;
const scope = "openid profile";
const signingKeys = (args.keys ? JSON.parse(args.keys).keys : [generatedKey("test-key")]).map((key) => ({
  ...key,
  alg: "RS256",
  use: "sig",
}));
const signingKid = args["signing-kid"] ?? signingKeys[0].kid;
const jwksDelayMs = Number(args["jwks-delay-ms"]);

function generatedKey(kid) {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { ...privateKey.export({ format: "jwk" }), kid };
}

function configuration() {
  return {
    clients: [
      {
        client_id: args["client-id"],
        token_endpoint_auth_method: "none", // a public client: the SPA keeps no secret
        redirect_uris: args.redirect,
        post_logout_redirect_uris: args.redirect.map((uri) => new URL("/", uri).href),
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
      },
    ],
    jwks: { keys: signingKeys },
    pkce: { required: () => true },
    scopes: ["openid", "profile", "offline_access"],
    ttl: { AccessToken: Number(args["access-token-ttl"]) },
    // Refresh tokens for the public client: the portal renews its token silently with them.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    async findAccount(_ctx, sub) {
      if (!accounts[sub]) return undefined;
      return { accountId: sub, claims: async () => ({ sub }) };
    },
    // A first-party client: no consent screen, the grant covers OneDoor's scopes.
    async loadExistingGrant(ctx) {
      const { Grant } = ctx.oidc.provider;
      const existing = ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (existing) return Grant.find(existing);
      const grant = new Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope(scope);
      grant.addResourceScope(audience, scope);
      await grant.save();
      return grant;
    },
    features: {
      devInteractions: { enabled: true },
      // Resource indicators: access tokens are JWTs for the gateway (aud = its jwt_audience).
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope, audience, accessTokenFormat: "jwt", jwt: { sign: { alg: "RS256", kid: signingKid } } }),
      },
    },
    // The OneDoor claims (role and tenant) in every access token of the account.
    extraTokenClaims: async (_ctx, token) => accounts[token.accountId] ?? {},
    cookies: { keys: ["test-only-cookie-key"] },
  };
}

const port = Number(args.port); // the caller picks a free loopback port
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, configuration());
if (jwksDelayMs > 0) {
  provider.use(async (ctx, next) => {
    if (ctx.path === "/jwks") await new Promise((resolve) => setTimeout(resolve, jwksDelayMs));
    await next();
  });
}
provider.listen(port, "127.0.0.1", () => {
  console.log(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
