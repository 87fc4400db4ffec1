import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // e2e tests spawn servers and CLIs; two cores, so keep parallelism modest
    maxWorkers: 2,
    fileParallelism: true,
    // the SDK's notice that it will need Node 22 one day: elf supports Node 20 on purpose
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
