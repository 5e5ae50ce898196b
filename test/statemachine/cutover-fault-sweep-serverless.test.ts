import { SERVERLESS_ENGINE } from '../support/engines';
import { cutoverFaultSweep } from './cutover-fault-sweep-paths';

cutoverFaultSweep(SERVERLESS_ENGINE);
