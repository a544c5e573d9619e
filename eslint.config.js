// ESLint flat config: typed rules (no floating promises) and the layering rules of ARCHITECTURE.md.
import tseslint from "typescript-eslint";

const serviceNames = [
  "identity",
  "catalog",
  "cart",
  "inventory",
  "payments",
  "orders",
  "gateway",
  "notifications",
  "analytics",
];

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "packages/contracts/src/gen/**",
      "packages/platform/src/grpc/gen/**",
      ".souk-services/**",
      "coverage/**",
      "dist/**",
      "bench/results/**",
      "**/*.js",
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/ban-ts-comment": "error",
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  // A service imports only packages/* and npm packages — never another service.
  ...serviceNames.map((name) => ({
    files: [`services/${name}/src/**/*.ts`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: serviceNames
                .filter((other) => other !== name)
                .flatMap((other) => [
                  `@souk/${other}`,
                  `**/services/${other}/**`,
                  `../../${other}/**`,
                  `../../../${other}/**`,
                ]),
              message: "A service never imports another service: call it through its contract (packages/contracts).",
            },
          ],
        },
      ],
    },
  })),
  // The domain layer imports no I/O: no store, api, usecases, drivers or contracts.
  {
    files: ["services/*/src/domain/**/*.ts"],
    ignores: ["services/*/src/domain/**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["../store/*", "../api/*", "../usecases/*", "../events/*"],
              message: "domain/ depends on nothing else in the service",
            },
            {
              group: ["@souk/contracts/*", "kysely", "pg", "@electric-sql/*", "fastify", "ioredis"],
              message: "domain/ does no I/O",
            },
          ],
        },
      ],
    },
  },
);
