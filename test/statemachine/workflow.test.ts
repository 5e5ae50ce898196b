import { TASK_ENGINE } from '../support/engines';
import { workflowPaths } from './workflow-paths';

workflowPaths(TASK_ENGINE);
