// The console's build: served by `tessera serve` under /console/, embedded in the executable.
// The output must hold under the console's Content-Security-Policy (script-src 'self';
// style-src 'self'; no 'unsafe-inline'): no inline script, style or data: URL may be emitted.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  esbuild: {
    jsx: 'automatic',
    jsxImportSource: 'preact',
  },
  build: {
    target: 'es2022',
    // The module preload polyfill is an inline script; every browser the console supports
    // preloads modules natively.
    modulePreload: { polyfill: false },
    // Small files would become data: URLs, which the CSP refuses.
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    assetsDir: 'assets',
    sourcemap: false,
    reportCompressedSize: false,
    rollupOptions: {
      output: {
        // Content-hashed names: the server answers them as immutable.
        entryFileNames: 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
});
