import { TASK_ENGINE } from '../support/engines';
import { cutoverPaths } from './cutover-paths';

cutoverPaths(TASK_ENGINE);
