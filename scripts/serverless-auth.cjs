// Serverless plugin: a deployed stage always runs AUTH_MODE=jwt (serverless.yml sets it), and
// `serverless package` / `deploy` refuse to run without AUTH_ISSUER, or with keys to be fetched
// over plain HTTP (lib/auth/jwt.ts takes http:// only for local issuers), or with anything of the
// local stack: DYNAMODB_ENDPOINT, or the development issuer of scripts/dev-issuer.ts (its iss or
// its key set). Only `serverless offline` (the local stack) takes AUTH_MODE from its environment,
// off when unset, and DYNAMODB_ENDPOINT.
'use strict';

const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

/** scripts/dev-issuer.ts: DEV_ISSUER and the key file (tests/template.test.ts checks they agree). */
const DEV_ISSUER = 'points-local-dev-issuer';
const DEV_KEY_FILE = join(__dirname, '..', '.auth', 'dev-issuer.json');

/** True when the inline key set holds the development issuer's key (by kid or by the key itself). */
function holdsDevKey(jwksText) {
  if (!jwksText || !existsSync(DEV_KEY_FILE)) return false;
  const dev = JSON.parse(readFileSync(DEV_KEY_FILE, 'utf8'));
  let keys;
  try {
    keys = JSON.parse(jwksText).keys;
  } catch {
    return false; // not JSON: the function refuses it at start (lib/auth/jwt.ts)
  }
  return Array.isArray(keys) && keys.some((key) => key && (key.kid === dev.kid || (key.x === dev.x && key.y === dev.y)));
}

class AuthStage {
  constructor(serverless) {
    const environment = () => serverless.service.provider.environment;
    const refuse = (message) => {
      throw new serverless.classes.Error(message);
    };
    const requireIssuer = () => {
      if (process.env.DYNAMODB_ENDPOINT) {
        refuse(
          `DYNAMODB_ENDPOINT is set (${process.env.DYNAMODB_ENDPOINT}): a deployed stage would send every balance and write there. ` +
            'It is for the local stack only (serverless offline, npm start); unset it before packaging or deploying.',
        );
      }
      if (process.env.AUTH_ISSUER === DEV_ISSUER || holdsDevKey(process.env.AUTH_JWKS)) {
        refuse(
          'AUTH_ISSUER or AUTH_JWKS is the local development issuer (scripts/dev-issuer.ts, keys in .auth/), whose private key sits on a developer\'s disk. ' +
            'A deployed stage trusts only your identity provider: set AUTH_ISSUER (and AUTH_JWKS_URL or AUTH_JWKS) to it.',
        );
      }
      if (!process.env.AUTH_ISSUER) {
        throw new serverless.classes.Error(
          'AUTH_ISSUER is not set. A deployed stage runs AUTH_MODE=jwt and accepts only tokens whose iss is exactly AUTH_ISSUER ' +
            '(for Cognito: https://cognito-idp.<region>.amazonaws.com/<userPoolId>). Set it, and AUTH_AUDIENCE, before packaging or deploying.',
        );
      }
      // The same default as lib/auth/jwt.ts: the issuer's own well-known address.
      const keysUrl = process.env.AUTH_JWKS ? undefined : process.env.AUTH_JWKS_URL || `${process.env.AUTH_ISSUER.replace(/\/+$/, '')}/.well-known/jwks.json`;
      if (keysUrl !== undefined && !keysUrl.startsWith('https://')) {
        throw new serverless.classes.Error(
          `The issuer's keys would be fetched from ${keysUrl}: a deployed stage fetches them only over https://, where they cannot be replaced on the way. ` +
            'Set AUTH_JWKS_URL to an https:// address, or give the keys inline in AUTH_JWKS.',
        );
      }
      environment().AUTH_MODE = 'jwt';
    };
    const local = () => {
      environment().AUTH_MODE = process.env.AUTH_MODE || 'off';
    };
    this.hooks = {
      'before:package:initialize': requireIssuer,
      'before:deploy:function:initialize': requireIssuer,
      'before:offline:start': local,
      'before:offline:start:init': local,
    };
  }
}

module.exports = AuthStage;
