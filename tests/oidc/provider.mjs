// A real OpenID Connect provider for the tests: panva's oidc-provider on loopback.
//   node tests/oidc/provider.mjs HOME PORT CONFIG_JSON
// HOME holds node_modules/oidc-provider (installed by the pytest fixture into a folder outside the repository).
// CONFIG_JSON: {"clients": [...oidc-provider client metadata], "accounts": {"<sub>": {claims}}}.
// The sign-in page is a plain form (one field, the account's subject) a browser or a test can fill: no consent step.
// Test-only controls (this provider exists only in tests):
//   POST /test/disable?sub=S    the account is gone: its refresh tokens are refused (invalid_grant)
//   POST /test/reset            every account back, no mischief pending
//   POST /test/mischief?mode=M  the next token response carries a tampered ID token:
//                               wrong_aud | wrong_aud_our_azp (another audience, our client as azp) |
//                               expired | bad_sig (signed by another key under the same kid)
import { createSign, generateKeyPairSync, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [home, portText, configText] = process.argv.slice(2);
const { default: Provider } = await import(pathToFileURL(join(home, "node_modules", "oidc-provider", "lib", "index.js")).href);
const config = JSON.parse(configText);
let accounts = new Map(Object.entries(config.accounts));
const issuer = `http://127.0.0.1:${portText}`;

const kid = randomUUID();
const signingKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
const otherKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
let mischief = null;

const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: { keys: [{ ...signingKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" }] },
  cookies: { keys: ["test-only-cookie-key"] },
  claims: { openid: ["sub"], profile: ["name", "preferred_username"], email: ["email", "email_verified"] },
  // The profile and email claims go in the ID token itself (as Entra ID and Keycloak do), not only via userinfo.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // Every client that may refresh gets a refresh token (fieldapp re-validates sessions with it).
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed("refresh_token"),
  pkce: { required: () => true },
  ttl: { AccessToken: 600, IdToken: 600, RefreshToken: 3600, Session: 3600, Interaction: 600, Grant: 3600 },
  findAccount: async (ctx, sub) => {
    const claims = accounts.get(sub);
    if (!claims) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...claims }) };
  },
});

const b64url = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
function resign(idToken, mode) {
  const [headerPart, payloadPart] = idToken.split(".");
  const header = JSON.parse(Buffer.from(headerPart, "base64url"));
  const payload = JSON.parse(Buffer.from(payloadPart, "base64url"));
  const now = Math.floor(Date.now() / 1000);
  if (mode === "wrong_aud") payload.aud = "another-council-app";
  if (mode === "wrong_aud_our_azp") Object.assign(payload, { aud: "another-council-app", azp: payload.aud });
  if (mode === "expired") Object.assign(payload, { iat: now - 7200, exp: now - 3600 });
  const input = `${b64url(header)}.${b64url(payload)}`;
  const signature = createSign("RSA-SHA256").update(input).sign(mode === "bad_sig" ? otherKey : signingKey);
  return `${input}.${signature.toString("base64url")}`;
}

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === "/token" && mischief && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: resign(ctx.body.id_token, mischief) };
    mischief = null;
  }
});

const page = (uid, error = "") => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Test council sign-in (fictional)</title></head><body><main>
<h1>Test council sign-in (fictional)</h1>${error ? `<p role="alert">${error}</p>` : ""}
<form method="post" action="/interaction/${uid}">
<label for="account">Account</label> <input id="account" name="account" autocomplete="username">
<button type="submit">Continue</button></form></main></body></html>`;

async function readForm(req) {
  let body = "";
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error("interaction mismatch");
  if (req.method === "GET") {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(page(uid));
    return;
  }
  const sub = (await readForm(req)).get("account") || "";
  if (!accounts.has(sub)) {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(page(uid, "No such account."));
    return;
  }
  const grant = new provider.Grant({ accountId: sub, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { login: { accountId: sub }, consent: { grantId } },
    { mergeWithLastSubmission: false });
}

const handle = provider.callback();
createServer(async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    const match = url.pathname.match(/^\/interaction\/([\w-]+)$/);
    if (match) return await interaction(req, res, match[1]);
    if (req.method === "POST" && url.pathname === "/test/disable") {
      accounts.delete(url.searchParams.get("sub"));
      return res.writeHead(204).end();
    }
    if (req.method === "POST" && url.pathname === "/test/reset") {
      accounts = new Map(Object.entries(config.accounts));
      mischief = null;
      return res.writeHead(204).end();
    }
    if (req.method === "POST" && url.pathname === "/test/mischief") {
      mischief = url.searchParams.get("mode");
      return res.writeHead(204).end();
    }
    return handle(req, res);
  } catch (error) {
    res.writeHead(500, { "Content-Type": "text/plain" }).end(String(error));
  }
}).listen(Number(portText), "127.0.0.1", () => console.log(`ready ${issuer}`));
