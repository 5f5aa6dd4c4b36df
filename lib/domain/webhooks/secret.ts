// A signing secret's shape, apart from the signing code, so that schemas (and the console's types)
// need no node:crypto.
export const SECRET_PREFIX = 'whsec_';

/** What newSecret gives: the prefix and 32 bytes in base64 (43 characters and one `=`). */
export const secretMeta = { pattern: `^${SECRET_PREFIX}[A-Za-z0-9+/]{43}=$`, minLength: SECRET_PREFIX.length + 44, maxLength: SECRET_PREFIX.length + 44 } as const;
