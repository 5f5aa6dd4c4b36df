// Starts Swagger UI on this API's own document. It lives in its own file because the page's
// Content-Security-Policy allows no inline script.

// From swagger-ui-bundle.js, loaded just before this module.
declare const SwaggerUIBundle: ((options: Record<string, unknown>) => unknown) & { presets: { apis: unknown } };

type OpenApi = {
  servers?: { url: string }[];
  security?: Record<string, string[]>[];
  components?: { securitySchemes?: Record<string, { type: string; scheme?: string }> };
};

/**
 * "Try it out" goes to the origin (and path prefix) this page came from, and Authorize always
 * offers a bearer token: the document declares its scheme when the API runs in jwt mode, and
 * when it does not, a token is harmless.
 */
function forThisOrigin(document: OpenApi): OpenApi {
  const base = new URL('.', location.href).href.replace(/\/$/, '');
  const schemes = document.components?.securitySchemes ?? {};
  const hasBearer = Object.values(schemes).some((s) => s.type === 'http' && s.scheme?.toLowerCase() === 'bearer');
  return {
    ...document,
    servers: document.servers?.length ? document.servers : [{ url: base }],
    ...(hasBearer
      ? {}
      : {
          components: { ...document.components, securitySchemes: { ...schemes, bearer: { type: 'http', scheme: 'bearer' } } },
          security: [...(document.security ?? []), { bearer: [] }],
        }),
  };
}

const root = document.getElementById('swagger-ui')!;
try {
  const answer = await fetch(new URL('openapi.json', location.href));
  if (!answer.ok) throw new Error(`GET openapi.json answered ${answer.status}`);
  root.replaceChildren();
  SwaggerUIBundle({
    spec: forThisOrigin(await answer.json()),
    domNode: root,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    validatorUrl: 'none',
  });
} catch (error) {
  const message = document.createElement('p');
  message.className = 'failure';
  message.setAttribute('role', 'alert');
  message.textContent = `The API reference could not load: ${(error as Error).message}`;
  root.replaceChildren(message);
}
