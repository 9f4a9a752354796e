import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The webmail SPA lives in client/; `vite build` writes it to dist/client, which the gateway (server/) serves.
export default defineConfig({
  root: 'client',
  plugins: [react()],
  build: { outDir: '../dist/client', emptyOutDir: true },
});
