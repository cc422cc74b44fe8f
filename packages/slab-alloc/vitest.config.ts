import { packageConfig } from "../test-kit/vitest.package.js";

export default packageConfig("slab-alloc");
