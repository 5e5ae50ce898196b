import { TASK_ENGINE } from '../support/engines';
import { cutoverFaultSweep } from './cutover-fault-sweep-paths';

cutoverFaultSweep(TASK_ENGINE);
