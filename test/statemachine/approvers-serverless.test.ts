import { SERVERLESS_ENGINE } from '../support/engines';
import { approverPaths } from './approver-paths';

approverPaths(SERVERLESS_ENGINE);
