import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'shared/**/*.test.ts',
      'electron/**/*.test.ts',
      'renderer/**/*.test.{ts,tsx}',
      'bench/**/*.test.ts',
      'lint/**/*.test.ts',
    ],
    // Kernel tests create network namespaces; running files in parallel on 2 cores is fine
    // because every test names its namespaces uniquely.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
