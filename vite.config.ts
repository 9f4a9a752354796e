import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The webmail SPA lives in client/; `vite build` writes it to dist/client, which the gateway (server/) serves.
// In development `vite` serves the client and passes /api (JSON and the event stream) to the gateway that
// `npm start` runs, so the browser sees one origin either way. MAILWERK_GATEWAY overrides where that is.
const gateway = process.env.MAILWERK_GATEWAY ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: 'client',
  plugins: [react()],
  build: { outDir: '../dist/client', emptyOutDir: true },
  server: {
    proxy: {
      '/api': { target: gateway, changeOrigin: false },
    },
  },
});
