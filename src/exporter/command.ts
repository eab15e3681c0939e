import type { Config } from "../config/index.js";
import { createLogger } from "../log.js";
import { startExporter } from "./index.js";

/** `exporter`: serve the metrics until SIGINT/SIGTERM, then finish the collection in progress and stop. */
export async function exporterCommand(config: Config): Promise<number> {
  const logger = createLogger(config.logging.level);
  let exporter: Awaited<ReturnType<typeof startExporter>>;
  try {
    exporter = await startExporter(config, logger);
  } catch (error) {
    logger.fatal(
      { reason: error instanceof Error ? error.message : String(error) },
      "cannot start the exporter",
    );
    return 1;
  }
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  logger.info("stopping the exporter");
  await exporter.close();
  return 0;
}
