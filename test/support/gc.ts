// A real garbage collection for memory assertions: jest does not run node with --expose-gc, and
// heapUsed without a collection counts garbage, which makes "memory stays bounded" checks flaky.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gc: (() => void) | undefined;

export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  gc();
  gc();
}
