/** Build of the web console: `npm run build:web` -> dist/web (served by `rampart serve`, see src/web/serve.ts). */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('./app', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  // Everything is bundled: no CDN, no runtime fetch outside the service's own /api.
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1500,
    // Vite's module-preload polyfill would be inline-free anyway, but we target evergreen browsers only.
    modulePreload: { polyfill: false },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
