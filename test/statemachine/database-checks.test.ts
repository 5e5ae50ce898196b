import { TASK_ENGINE } from '../support/engines';
import { databaseCheckPaths } from './database-check-paths';

databaseCheckPaths(TASK_ENGINE);
