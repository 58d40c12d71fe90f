// Worker threads start without the CLI's loader: load the TypeScript worker
// the way bin/heapreplay.js loads the CLI (its bundle, else through tsx).
import { importEntry } from '../bin/bundle.js';

await importEntry('harness/worker.ts');
