/**
 * The bundle's entry point (dist/lifecycle/lifecycle.mjs), started by the `lifecycle` executable
 * as `node lifecycle.mjs <name> <args…>`, where `<name>` is the name the executable was invoked by:
 * a phase name (through the phase symlinks) or anything else, meaning `lifecycle <phase> …`
 * (platform.md "Usage"; the reference dispatches on its own name the same way).
 */
import { isPhase } from '../platform/index.ts';
import { restoreHiddenEnv } from './hidden-env.ts';
import { run } from './main.ts';

const runtime = restoreHiddenEnv(process.env);
const [name, ...args] = process.argv.slice(2);
run(isPhase(name) ? name : undefined, args, runtime);
