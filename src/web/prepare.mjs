// `npm ci` / `npm install` run this (the `prepare` script): build the console unless the build tools are absent
// (a production install with --omit=dev), in which case the service serves a page saying how to build it.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
let vite;
try {
  vite = join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
} catch {
  console.log('rampart: vite is not installed (production install?): the web console is not built; run `npm run build:web` where dev dependencies are installed');
  process.exit(0);
}
const config = fileURLToPath(new URL('./vite.config.ts', import.meta.url));
const r = spawnSync(process.execPath, [vite, 'build', '--config', config, '--logLevel', 'warn'], { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
process.exit(r.status ?? 1);
