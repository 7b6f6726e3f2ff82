import { layoutAt } from "./layout-suite.ts";

layoutAt(360);
