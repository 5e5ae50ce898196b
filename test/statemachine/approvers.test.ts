import { TASK_ENGINE } from '../support/engines';
import { approverPaths } from './approver-paths';

approverPaths(TASK_ENGINE);
