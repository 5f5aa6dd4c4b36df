// Bundled in place of `node:process` (scripts/bundle-aliases.cjs). An ES module import of
// node:process makes Node build its module namespace, reading every property of `process`: that
// opens stdin, stdout and stderr and loads the diagnostic report module, about 7% of a function's
// cold start. The SDK only wants `env` and `versions`; the global gives them for nothing.
export const { env, versions } = process;
