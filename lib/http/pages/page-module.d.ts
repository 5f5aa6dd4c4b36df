// `import page from 'page:../web/x.html'`: built by scripts/esbuild-pages.cjs when bundling.
declare module 'page:*' {
  const page: import('./serve.js').Page;
  export default page;
}
