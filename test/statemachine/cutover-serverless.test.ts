import { SERVERLESS_ENGINE } from '../support/engines';
import { cutoverPaths } from './cutover-paths';

cutoverPaths(SERVERLESS_ENGINE);
