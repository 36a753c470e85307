// A small rule set we would defend in review: what TypeScript's own checks (strict, noUnused*) do not already catch.
import tseslint from "typescript-eslint";

export default tseslint.config(
    {
        ignores: ["native/**", "dist/**", "node_modules/**", "localBuilds/**", "tmp/**", "media/**/*.js", "test/vscode/code-server/**", "test/vscode/.vscode-test/**", "test/fixtures/retrieval/docs/**", "**/*.d.ts"],
    },
    {
        files: ["**/*.ts", "**/*.mjs"],
        extends: [tseslint.configs.base],
        rules: {
            eqeqeq: ["error", "always", { null: "ignore" }],
            "no-var": "error",
            "prefer-const": "error",
            "no-duplicate-imports": "error",
            "no-throw-literal": "error",
            "no-debugger": "error",
            "no-unsafe-finally": "error",
            "no-fallthrough": "error",
            "no-self-compare": "error",
            "no-template-curly-in-string": "error",
            "no-constant-binary-expression": "error",
            "no-unused-private-class-members": "error",
            "@typescript-eslint/no-explicit-any": "error",
            "@typescript-eslint/no-non-null-asserted-optional-chain": "error",
            "@typescript-eslint/no-unused-expressions": "error",
            "@typescript-eslint/prefer-as-const": "error",
            "@typescript-eslint/no-empty-object-type": "error",
            "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
        },
    },
);
