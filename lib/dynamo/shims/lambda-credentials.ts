// Bundled in place of @aws-sdk/credential-provider-node (serverless.yml custom.esbuild.alias).
// Lambda hands a function its role's credentials in environment variables, so the rest of the
// SDK's default chain (SSO, ini files, processes, web identity, instance metadata, and the STS
// and SSO clients they bring) can never be reached there: about 100 KB of every bundle and of its
// start-up. Locally the client is given DynamoDB Local's credentials and never asks for these.

export const defaultProvider = () => async (): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }> => {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = process.env;
  if (!accessKeyId || !secretAccessKey) throw new Error('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets them from the function role)');
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
};
