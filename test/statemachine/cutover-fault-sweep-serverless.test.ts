import { SERVERLESS_ENGINE } from '../support/engines';
import { cutoverFaultSweep } from './cutover-fault-sweep-paths';

// The states that never call DMS are swept on a task (cutover-fault-sweep.test.ts): their work is the same here.
cutoverFaultSweep(SERVERLESS_ENGINE, 'states reaching DMS');
