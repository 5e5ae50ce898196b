import { TASK_ENGINE } from '../support/engines';
import { iamEnforcementPaths } from './iam-enforcement-paths';

iamEnforcementPaths(TASK_ENGINE);
