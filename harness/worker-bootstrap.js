// Worker threads start without tsx's loader; register it here, then load the
// TypeScript worker, as bin/heapreplay.js does for the CLI.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
