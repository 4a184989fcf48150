import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string): string =>
  fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

// Tests run against the sources, so they never depend on a stale build.
export default defineConfig({
  resolve: {
    alias: {
      '@mpvisor/mpapi': src('mpapi'),
      '@mpvisor/runtime': src('runtime'),
      '@mpvisor/targets': src('targets'),
      '@mpvisor/registry': src('registry'),
      '@mpvisor/cli': src('cli'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/test/**/*.test.ts'],
    typecheck: {
      enabled: true,
      include: ['packages/*/test/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
    testTimeout: 60_000,
  },
});
