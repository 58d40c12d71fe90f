// Byte-identical results guard, first half of the bundled traces (see harness/testing/expected-guard.ts).
import { describeGuardShard } from './testing/expected-guard.ts';

await describeGuardShard(0);
