import { SERVERLESS_ENGINE } from '../support/engines';
import { workflowPaths } from './workflow-paths';

workflowPaths(SERVERLESS_ENGINE);
