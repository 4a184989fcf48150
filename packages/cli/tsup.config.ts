import { defineConfig } from 'tsup';

// The CLI is ESM only: it loads NF modules (TypeScript included) with tsx.
export default defineConfig({
  entry: ['src/index.ts', 'src/bin.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  target: 'node20',
});
