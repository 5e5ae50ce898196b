import { SERVERLESS_ENGINE } from '../support/engines';
import { iamEnforcementPaths } from './iam-enforcement-paths';

iamEnforcementPaths(SERVERLESS_ENGINE);
