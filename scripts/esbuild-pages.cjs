// An esbuild plugin (serverless.yml: custom.esbuild.plugins) that puts a web page into a Lambda
// bundle. `import page from 'page:../web/console.html'` gives `{ html, assets }`: every local file
// the HTML references by src/href (a .ts file is first bundled for the browser by esbuild, a bare
// path like swagger-ui-dist/x.css comes from node_modules) becomes an asset with a content-hashed
// name under the page's own path (console.html -> console/main.1a2b3c4d5e6f.js), compressed once
// here with brotli and gzip. Nothing is written to disk. CommonJS because serverless-esbuild
// loads this file with require().
const { createHash } = require('node:crypto');
const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const esbuild = require('esbuild');

const TYPES = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml; charset=utf-8',
};

/** A local file reference (no scheme, no absolute path) of a type above or a .ts to bundle; links to pages are left alone. */
const REFERENCE = /\b(src|href)="(?![a-z][a-z0-9+.-]*:|\/)([^"?#:]+\.(?:ts|js|css|svg))"/gi;

// Compressing swagger-ui's 1.7 MB bundle takes a while: do it once per content, not per function
// or rebuild. Brotli quality 9 is within 10% of 11 at a tenth of the time.
const compressed = new Map();
function compress(bytes) {
  const key = createHash('sha256').update(bytes).digest('hex');
  if (!compressed.has(key)) {
    const br = zlib.brotliCompressSync(bytes, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    });
    compressed.set(key, { hash: key.slice(0, 12), br: br.toString('base64'), gzip: zlib.gzipSync(bytes, { level: 9 }).toString('base64') });
  }
  return compressed.get(key);
}

async function readAsset(file) {
  if (path.extname(file) !== '.ts') return { bytes: readFileSync(file), ext: path.extname(file), inputs: [file] };
  const result = await esbuild.build({
    entryPoints: [file],
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    charset: 'utf8',
    metafile: true,
  });
  return { bytes: Buffer.from(result.outputFiles[0].contents), ext: '.js', inputs: Object.keys(result.metafile.inputs).map((input) => path.resolve(input)) };
}

function locate(reference, dir) {
  const local = path.resolve(dir, reference);
  return existsSync(local) ? local : require.resolve(reference, { paths: [dir] });
}

async function buildPage(htmlFile) {
  const dir = path.dirname(htmlFile);
  const base = path.basename(htmlFile, '.html');
  let html = readFileSync(htmlFile, 'utf8');
  const assets = new Map();
  const watchFiles = [htmlFile];
  for (const [, , reference] of html.matchAll(REFERENCE)) {
    if (assets.has(reference)) continue;
    const file = locate(reference, dir);
    const { bytes, ext, inputs } = await readAsset(file);
    const type = TYPES[ext];
    if (!type) throw new Error(`${htmlFile}: no content type for ${reference}`);
    const { hash, br, gzip } = compress(bytes);
    assets.set(reference, { name: `${path.basename(file, path.extname(file))}.${hash}${ext}`, type, br, gzip });
    watchFiles.push(...inputs.filter((input) => !input.includes(`${path.sep}node_modules${path.sep}`)));
  }
  html = html.replace(REFERENCE, (match, attribute, reference) => `${attribute}="${base}/${assets.get(reference).name}"`);
  return { contents: `export default ${JSON.stringify({ html, assets: [...assets.values()] })};`, watchFiles };
}

module.exports = [
  {
    name: 'pages',
    setup(build) {
      build.onResolve({ filter: /^page:/ }, (args) => ({ path: path.resolve(args.resolveDir, args.path.slice('page:'.length)), namespace: 'page' }));
      build.onLoad({ filter: /.*/, namespace: 'page' }, async (args) => ({ ...(await buildPage(args.path)), loader: 'js' }));
    },
  },
];
