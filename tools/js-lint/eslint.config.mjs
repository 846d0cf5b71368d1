// The JavaScript linter's rules for fieldapp/static/js (run by scripts/test as tools/js-lint/run).
// Browser ES modules and the service worker; one quote style (double), no unused names, no undeclared globals.
import js from "@eslint/js";
import globals from "globals";

// Run from the repository root (tools/js-lint/run): patterns are relative to it.
export default [
  { ...js.configs.recommended, files: ["fieldapp/static/js/**/*.js"] },
  {
    files: ["fieldapp/static/js/**/*.js"],
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    rules: {
      quotes: ["error", "double", { avoidEscape: true }],
      "no-unused-vars": ["error", { args: "none", caughtErrors: "none" }],
      "prefer-const": "error",
      "no-var": "error",
      eqeqeq: ["error", "always", { null: "ignore" }],  // `x == null` is the idiom for null or undefined
    },
  },
];
