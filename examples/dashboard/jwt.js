'use strict';
// HS256 JSON Web Tokens, as PostgREST accepts them: only HS256 (so "none"
// and every other algorithm are refused), the signature compared in
// constant time, "exp" (when present) in the future.  sign() is for the
// sign-in links of scripts/dashboard.sh and for the tests.

const crypto = require('node:crypto');

const b64url = (buf) => Buffer.from(buf).toString('base64url');

function sign(claims, secret) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const mac = crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest();
  return `${head}.${body}.${b64url(mac)}`;
}

// The claims of a valid token, or null.
function verifyToken(token, secret, now = Date.now() / 1000) {
  const parts = String(token).split('.');
  if (parts.length !== 3) return null;
  let header;
  let claims;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch (e) {
    return null;
  }
  if (!header || header.alg !== 'HS256') return null;
  // compared as the canonical base64url text: decoding would ignore a
  // changed last character's unused bits
  const expected = Buffer.from(crypto.createHmac('sha256', secret)
    .update(`${parts[0]}.${parts[1]}`).digest('base64url'));
  const given = Buffer.from(parts[2]);
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return null;
  if (!claims || typeof claims !== 'object' || Array.isArray(claims)) return null;
  if (claims.exp !== undefined && !(typeof claims.exp === 'number' && claims.exp > now)) return null;
  if (claims.nbf !== undefined && !(typeof claims.nbf === 'number' && claims.nbf <= now)) return null;
  return claims;
}

module.exports = { sign, verifyToken };

// node jwt.js '<claims json>'  (JWT_SECRET in the environment): print a token
if (require.main === module) {
  process.stdout.write(sign(JSON.parse(process.argv[2]), process.env.JWT_SECRET) + '\n');
}
