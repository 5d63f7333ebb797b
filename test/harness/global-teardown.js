import { register } from "tsx/esm/api";

register();
const { default: teardown } = await import("./global-teardown-impl.ts");
export default teardown;
