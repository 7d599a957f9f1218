import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Built into dist/ and served by `flowc edit` (same origin as the API): no CDN, no runtime fetches
// other than /api. `npm run dev` proxies /api to `flowc edit DIR --port 8765 --token dev` (the proxy
// sends the token and the server's own Origin; set FLOWC_EDIT_TOKEN to use another token).
const token = process.env.FLOWC_EDIT_TOKEN ?? 'dev';
const target = 'http://127.0.0.1:8765';
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 2000 },
  server: {
    proxy: { '/api': { target, ws: true, changeOrigin: true, headers: { 'X-Flowc-Token': token, Origin: target } } },
  },
  test: { include: ['src/**/*.test.ts'] },
});
