// Two projects: `unit` (pure code, beside the sources) and `integration` (test/, against the real
// control plane and PostgreSQL started once by the global setup).
const common = {
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: {
    "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "es6" } }],
  },
};

export default {
  reporters: ["default", "<rootDir>/test/harness/failure-reporter.js"],
  projects: [
    {
      ...common,
      displayName: "unit",
      testMatch: ["<rootDir>/{api,engine,operator,controllers,webhooks,connectors,store,cli,outbox,feeds,remediation}/**/*.test.ts"],
    },
    {
      ...common,
      displayName: "integration",
      testMatch: ["<rootDir>/test/**/*.test.ts"],
      globalSetup: "<rootDir>/test/harness/global-setup.js",
      globalTeardown: "<rootDir>/test/harness/global-teardown.js",
      setupFilesAfterEnv: ["<rootDir>/test/harness/jest-setup.ts"],
    },
  ],
};
