import { createPrivateKey, createPublicKey, generateKeyPair, generateKeyPairSync } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createFileOnce, looseMode } from "../key-file.ts";

export const KEY_FILE_NAME = "mock-pay-key.pem";

/** The cashier's key pair: it signs notifications with the private key; the platform verifies with the public key. */
export type MockPayKeys = { privateKeyPem: string; publicKeyPem: string };

/** The key pair of a PKCS#8 private key in PEM (the public key derived from it). Throws for anything else. */
export function keysOf(privateKeyPem: string): MockPayKeys {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== "rsa" || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new Error("the mock cashier's key must be an RSA key of at least 2048 bits");
  }
  return {
    privateKeyPem: key.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKeyPem: createPublicKey(key).export({ type: "spki", format: "pem" }).toString(),
  };
}

/** A fresh 2048-bit RSA key pair (tests, and the first start). */
export function newMockPayKeys(): MockPayKeys {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return keysOf(privateKey.export({ type: "pkcs8", format: "pem" }).toString());
}

/**
 * The cashier's key pair when MOCK_PAY_PRIVATE_KEY is not set (never in production: the mock does not
 * run there): generated on the first start into DATA_DIR/mock-pay-key.pem (mode 0600, created
 * atomically), so every later start and every instance on the same DATA_DIR shares it.
 */
export async function embeddedMockPayKeys(dataDir: string): Promise<MockPayKeys & { path: string; created: boolean; looseMode: boolean }> {
  const path = join(resolve(dataDir), KEY_FILE_NAME);
  // Generated on the thread pool (an RSA key takes a while): a first start goes on meanwhile (src/start.ts).
  const created = await createFileOnce(
    path,
    () =>
      new Promise<string>((ok, fail) =>
        generateKeyPair("rsa", { modulusLength: 2048 }, (err, _publicKey, privateKey) =>
          err ? fail(err) : ok(privateKey.export({ type: "pkcs8", format: "pem" }).toString()),
        ),
      ),
  );
  const keys = keysOf(await readFile(path, "utf8"));
  return { ...keys, path, created, looseMode: await looseMode(path) };
}
