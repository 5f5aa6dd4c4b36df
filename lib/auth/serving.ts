// Fail closed in Lambda: a function that would serve without authentication (AUTH_MODE=off or a
// mode it does not know) or fetch the issuer's keys over plain HTTP refuses every request there.
// Only serverless-offline (the local stack, which sets IS_OFFLINE=true) may run that way. Kept
// free of the verifier's libraries: the pages and the catch-all check it too.

/** Where the issuer's keys are fetched from: AUTH_JWKS_URL, else the issuer's well-known address (OIDC, Cognito). */
export const keysUrlOf = (env: NodeJS.ProcessEnv): string | undefined =>
  env.AUTH_JWKS ? undefined : env.AUTH_JWKS_URL || (env.AUTH_ISSUER ? `${env.AUTH_ISSUER.replace(/\/+$/, '')}/.well-known/jwks.json` : undefined);

/** Lambda sets these reserved variables in every function; nothing in a function's configuration removes them. */
const inLambda = (env: NodeJS.ProcessEnv) => Boolean(env.AWS_LAMBDA_FUNCTION_NAME || env.AWS_EXECUTION_ENV || env.LAMBDA_TASK_ROOT) && env.IS_OFFLINE !== 'true';

/** Why this function must not serve here, for the log (it names no secret), or undefined. */
export function servingRefusal(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!inLambda(env)) return undefined;
  const mode = env.AUTH_MODE || 'off';
  if (mode === 'off') return 'AUTH_MODE is off (or unset) in Lambda: a deployed function serves only with AUTH_MODE=jwt';
  if (mode !== 'jwt') return 'AUTH_MODE is neither "off" nor "jwt"';
  if (keysUrlOf(env)?.startsWith('https://') === false) return 'the issuer\'s keys would be fetched over plain HTTP; in Lambda they come only over https://';
  return undefined;
}
