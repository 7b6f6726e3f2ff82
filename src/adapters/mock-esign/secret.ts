import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { randomToken } from "../../lib/random.ts";
import { createFileOnce, looseMode } from "../key-file.ts";

export const SECRET_FILE_NAME = "mock-esign-secret";

/**
 * The mock provider's secret when MOCK_ESIGN_SECRET is not set (never in production: the mock does
 * not run there): generated on the first start into DATA_DIR/mock-esign-secret (mode 0600), like the
 * field encryption key, so every later start and every instance on the same DATA_DIR signs and
 * checks callbacks with the same secret.
 */
export async function embeddedMockSecret(dataDir: string): Promise<{ secret: string; path: string; created: boolean; looseMode: boolean }> {
  const path = join(resolve(dataDir), SECRET_FILE_NAME);
  const created = await createFileOnce(path, () => `${randomToken(32)}\n`);
  const secret = (await readFile(path, "utf8")).trim();
  if (secret.length < 32) throw new Error(`${path}: the mock e-signature secret must be at least 32 characters`);
  return { secret, path, created, looseMode: await looseMode(path) };
}
