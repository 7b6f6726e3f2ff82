/**
 * npm run routes:doc
 *
 * Rewrites the route table in docs/architecture.md (between its marker comments) from the routers
 * src/app.ts mounts. Run it after adding, removing or moving a route; the unit test
 * tests/unit/route-table.test.ts fails until the document matches the code.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DOC, routeRows, routeTable, withRouteTable } from "./lib/route-table.ts";

const path = fileURLToPath(new URL(`../${DOC}`, import.meta.url));
const before = readFileSync(path, "utf8");
const rows = routeRows();
const after = withRouteTable(before, routeTable(rows));
if (after === before) console.log(`${DOC}: route table up to date (${rows.length} routes)`);
else {
  writeFileSync(path, after);
  console.log(`${DOC}: route table written (${rows.length} routes)`);
}
