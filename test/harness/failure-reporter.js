// When any test fails, print the last lines of every control-plane component's log and keep the
// folder: the global teardown removes it only after a green run.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const tail = (file, n) => readFileSync(file, "utf8").trimEnd().split("\n").slice(-n).join("\n");

export default class FailureLogReporter {
  onRunComplete(_contexts, results) {
    if (results.numFailedTests === 0 && results.numFailedTestSuites === 0 && !results.numRuntimeErrorTestSuites) return;
    process.env.FIXOPS_TEST_FAILED = "1";
    const dir = process.env.FIXOPS_TEST_CP_DIR;
    if (!dir || !existsSync(dir)) return;
    const lines = Number(process.env.FIXOPS_TEST_LOG_LINES ?? 30);
    const out = [`\nTests failed: control-plane logs (kept in ${dir})`];
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".log")).sort()) out.push(`----- ${f} -----`, tail(join(dir, f), lines));
    process.stderr.write(`${out.join("\n")}\n`);
  }
}
