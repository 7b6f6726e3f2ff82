import { layoutAt } from "./layout-suite.ts";

layoutAt(1280);
