// `npm run token -- --sub alice --scope "points:read points:spend" [--payer ACME] [--aud points] [--ttl 3600]`:
// prints a token signed by the local development issuer (scripts/dev-issuer.ts), for an API
// started with `AUTH_MODE=jwt npm start`.
import { parseArgs } from 'node:util';
import { MINT_HINT, mintDevToken } from './dev-issuer.js';

const { values } = parseArgs({
  options: {
    sub: { type: 'string' },
    scope: { type: 'string', default: '' },
    payer: { type: 'string' },
    aud: { type: 'string' },
    ttl: { type: 'string', default: '3600' },
  },
});

const ttlSeconds = Number(values.ttl);
if (!values.sub || !Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) {
  console.error(`usage: ${MINT_HINT}\n       [--aud <audience>] [--ttl <seconds>]`);
  process.exit(2);
}
const audience = values.aud ?? process.env.AUTH_AUDIENCE?.split(',')[0]?.trim();
console.log(
  await mintDevToken({ sub: values.sub, scope: values.scope ?? '', ttlSeconds, ...(values.payer === undefined ? {} : { payer: values.payer }), ...(audience ? { audience } : {}) }),
);
