// Jest loads global setup outside its module transform; tsx's loader lets it use the TS harness.
import { register } from "tsx/esm/api";

register();
const { default: setup } = await import("./global-setup-impl.ts");
export default setup;
