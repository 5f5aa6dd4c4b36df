// Serverless plugin: a deployed stage always runs AUTH_MODE=jwt (serverless.yml sets it), and
// `serverless package` / `deploy` refuse to run without AUTH_ISSUER, or with keys to be fetched
// over plain HTTP (lib/auth/jwt.ts takes http:// only for local issuers). Only `serverless offline`
// (the local stack) takes AUTH_MODE from its environment, off when unset.
'use strict';

class AuthStage {
  constructor(serverless) {
    const environment = () => serverless.service.provider.environment;
    const requireIssuer = () => {
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
