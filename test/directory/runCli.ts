export { runCli } from "../support/common.js";
